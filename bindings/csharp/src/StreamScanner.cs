// Streams: one message scanned piece by piece, in bounded memory.
//
// A StreamScanner is fed a message in pieces, cut anywhere, and Finish
// gives the result one Scan of the whole would give, with offsets global
// to the message. Feed strings and the offsets are UTF-16 units of their
// concatenation (a piece may end between the two halves of a surrogate
// pair: the encoder keeps the first half for the next piece); feed bytes
// and they are byte offsets. A stream takes one or the other, not both.
//
// The library keeps only the bytes from the last settled point on, so
// the result's field has no text. One thread at a time; the `seed` pack
// cannot stream (it scans whole bodies, as the guide does).

namespace Mailshield
{
    using System;
    using System.Text;

    /// <summary>A streaming scan of one message body; not thread-safe.
    /// </summary>
    /// <remarks>
    /// Named so as not to clash with System.IO.Stream, which most files
    /// that would use it import; it is mailshield_stream in the C ABI.
    /// </remarks>
    public sealed class StreamScanner : IDisposable
    {
        private readonly StreamHandle handle;
        private readonly Encoder encoder =
            new UTF8Encoding(false).GetEncoder();
        private OffsetUnit? unit;

        /// <summary>Starts a stream over <paramref name="engine"/>'s pack.
        /// </summary>
        /// <exception cref="MailshieldException">
        /// Status State: the pack cannot stream.
        /// </exception>
        public StreamScanner(Engine engine)
        {
            if (engine == null)
            {
                throw new ArgumentNullException("engine");
            }
            MailshieldException.Check(
                Native.mailshield_stream_new(engine.Handle, out handle));
        }

        /// <summary>Feeds the next piece of text.</summary>
        /// <exception cref="InvalidOperationException">
        /// Bytes were fed before.
        /// </exception>
        /// <exception cref="MailshieldException">
        /// Status State: the stream is finished.
        /// </exception>
        public unsafe void Feed(string piece)
        {
            if (piece == null)
            {
                throw new ArgumentNullException("piece");
            }
            Use(OffsetUnit.Utf16);
            fixed (char* c = piece)
            {
                FeedChars(c, piece.Length, false);
            }
        }

        /// <summary>Feeds the next piece of bytes (cut anywhere, even
        /// inside a UTF-8 sequence).</summary>
        /// <exception cref="InvalidOperationException">
        /// Strings were fed before.
        /// </exception>
        public void Feed(byte[] piece)
        {
            if (piece == null)
            {
                throw new ArgumentNullException("piece");
            }
            Feed(piece, 0, piece.Length);
        }

        /// <summary>Feeds <paramref name="count"/> bytes of
        /// <paramref name="buffer"/> from <paramref name="offset"/>.
        /// </summary>
        public unsafe void Feed(byte[] buffer, int offset, int count)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException("buffer");
            }
            if (offset < 0 || count < 0 || count > buffer.Length - offset)
            {
                throw new ArgumentOutOfRangeException("count");
            }
            Use(OffsetUnit.Bytes);
            fixed (byte* p = buffer)
            {
                Send(p + offset, count);
            }
        }

        /// <summary>
        /// Ends the stream and gives the whole result; its field
        /// <c>body</c> has no text.
        /// </summary>
        /// <exception cref="MailshieldException">
        /// Status State: already finished.
        /// </exception>
        public unsafe ScanResult Finish()
        {
            // A high surrogate left over at the end becomes U+FFFD.
            char none = '\0';
            FeedChars(&none, 0, true);
            OwnedResultHandle r;
            MailshieldException.Check(
                Native.mailshield_stream_finish(Handle, out r));
            return new ScanResult(r, unit ?? OffsetUnit.Utf16);
        }

        /// <summary>Frees the stream, finished or not; safe to call more
        /// than once.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        private void Use(OffsetUnit u)
        {
            if (unit.HasValue && unit.Value != u)
            {
                throw new InvalidOperationException(
                    "a stream is fed either strings or bytes, not both");
            }
            unit = u;
        }

        private unsafe void FeedChars(char* chars, int count, bool flush)
        {
            // N.B. GetBytes must run even when no byte comes out: it is
            // what keeps a trailing high surrogate for the next piece
            // (GetByteCount changes no state).
            int n = encoder.GetByteCount(chars, count, flush);
            var bytes = new byte[Math.Max(n, 1)];
            fixed (byte* p = bytes)
            {
                encoder.GetBytes(chars, count, p, n, flush);
                if (n > 0)
                {
                    Send(p, n);
                }
            }
        }

        private unsafe void Send(byte* p, int count)
        {
            MailshieldException.Check(Native.mailshield_stream_feed(
                Handle, p, (UIntPtr)count));
        }

        private StreamHandle Handle
        {
            get
            {
                if (handle.IsClosed)
                {
                    throw new ObjectDisposedException("StreamScanner");
                }
                return handle;
            }
        }
    }
}
