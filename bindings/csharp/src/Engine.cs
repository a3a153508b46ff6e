// Engines: a compiled rule pack, and the calls that scan with it.
//
// An Engine is built once (a built-in pack by name, or a custom pack from
// its TOML text) and shared: the library lets any number of threads scan
// with one engine at once. Results, batches and streams keep what they
// need of the engine, so disposing it does not invalidate them.
//
// Offsets follow the input: a string in gives offsets in UTF-16 units of
// that string; bytes in give byte offsets into each field's UTF-8 text.
//
// PERF: a string is encoded to a new UTF-8 array for each call, since the
// library reads UTF-8; for large inputs already held as UTF-8, pass the
// bytes.

namespace Mailshield
{
    using System;
    using System.Collections.Generic;
    using System.Runtime.InteropServices;

    /// <summary>A compiled rule pack; thread-safe.</summary>
    public sealed class Engine : IDisposable
    {
        private readonly EngineHandle handle;
        private string[] entities;

        /// <summary>The built-in <c>default</c> pack.</summary>
        public Engine() : this("default") { }

        /// <summary>A built-in pack: <c>default</c> or <c>seed</c>.
        /// </summary>
        /// <exception cref="MailshieldException">
        /// Status Rules: there is no built-in pack of that name.
        /// </exception>
        public unsafe Engine(string pack)
        {
            if (pack == null)
            {
                throw new ArgumentNullException("pack");
            }
            byte[] name = Utf8.EncodeNulTerminated(pack, "pack");
            fixed (byte* p = name)
            {
                MailshieldException.Check(
                    Native.mailshield_engine_new(p, out handle));
            }
        }

        private Engine(EngineHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>Compiles a custom pack from its TOML text.</summary>
        /// <exception cref="MailshieldException">
        /// Status Rules: the pack does not parse or compile (the message
        /// names the detector).
        /// </exception>
        public static unsafe Engine FromToml(string toml)
        {
            if (toml == null)
            {
                throw new ArgumentNullException("toml");
            }
            byte[] text = Utf8.Encode(toml);
            EngineHandle h;
            fixed (byte* p = text)
            {
                MailshieldException.Check(Native.mailshield_engine_from_toml(
                    p, (UIntPtr)text.Length, out h));
            }
            return new Engine(h);
        }

        /// <summary>The entity types this engine finds, in its order.
        /// </summary>
        public IReadOnlyList<string> Entities
        {
            get
            {
                if (entities == null)
                {
                    IntPtr items;
                    UIntPtr count;
                    MailshieldException.Check(
                        Native.mailshield_engine_entities(
                            Handle, out items, out count));
                    entities = Utf8.Texts(items, count);
                }
                return Array.AsReadOnly(entities);
            }
        }

        /// <summary>
        /// Scans plain text; offsets are UTF-16 units of
        /// <paramref name="text"/>. Linear in its length.
        /// </summary>
        public ScanResult Scan(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException("text");
            }
            return Scan(Utf8.Encode(text), InputKind.Text, OffsetUnit.Utf16);
        }

        /// <summary>
        /// Scans bytes, read as <paramref name="kind"/> says; offsets are
        /// bytes of each field's UTF-8 text.
        /// </summary>
        public ScanResult Scan(byte[] data, InputKind kind)
        {
            if (data == null)
            {
                throw new ArgumentNullException("data");
            }
            return Scan(data, kind, OffsetUnit.Bytes);
        }

        private unsafe ScanResult Scan(
            byte[] data, InputKind kind, OffsetUnit unit)
        {
            OwnedResultHandle r;
            fixed (byte* p = data)
            {
                MailshieldException.Check(Native.mailshield_scan(
                    Handle, p, (UIntPtr)data.Length, (uint)kind, out r));
            }
            return new ScanResult(r, unit);
        }

        /// <summary>
        /// Scans, classifies and protects plain text in one pass: the
        /// redacted body, sealed when the level's policy requires it.
        /// </summary>
        /// <param name="text">The text; offsets are its UTF-16 units.</param>
        /// <param name="keys">
        /// The keys to seal with; null when nothing is sealed
        /// (<see cref="Cipher.None"/> and no <c>token</c> operator).
        /// </param>
        /// <param name="options">Cipher, message id and level; null for
        /// the defaults (AES-256-GCM, the message's own id and level).
        /// </param>
        /// <exception cref="MailshieldException">
        /// Status Key when sealing needs a key and none fits; Crypto when
        /// sealing fails; InvalidArgument for a level out of range.
        /// </exception>
        public ProtectResult Protect(
            string text, KeySet keys = null, ProtectOptions options = null)
        {
            if (text == null)
            {
                throw new ArgumentNullException("text");
            }
            return Protect(
                Utf8.Encode(text), InputKind.Text, OffsetUnit.Utf16,
                keys, options);
        }

        /// <summary>
        /// As <see cref="Protect(string, KeySet, ProtectOptions)"/>, for
        /// bytes read as <paramref name="kind"/> says; offsets are bytes.
        /// </summary>
        public ProtectResult Protect(
            byte[] data, InputKind kind, KeySet keys = null,
            ProtectOptions options = null)
        {
            if (data == null)
            {
                throw new ArgumentNullException("data");
            }
            return Protect(data, kind, OffsetUnit.Bytes, keys, options);
        }

        private unsafe ProtectResult Protect(
            byte[] data, InputKind kind, OffsetUnit unit, KeySet keys,
            ProtectOptions options)
        {
            KeySetHandle k = keys == null ? KeySetHandle.None : keys.Handle;
            // N.B. A null id pointer means "the message's own id", so an
            // empty id is passed as a pointer to a spare byte, length 0.
            byte[] id = options == null || options.MessageId == null
                ? null
                : Utf8.Encode(options.MessageId);
            byte[] idBuffer = id != null && id.Length == 0 ? new byte[1] : id;
            OwnedResultHandle r;
            fixed (byte* p = data)
            fixed (byte* idp = idBuffer)
            {
                var o = default(Native.mailshield_protect_options);
                Native.mailshield_protect_options* op = null;
                if (options != null)
                {
                    o.cipher = (uint)options.Cipher;
                    o.message_id.ptr = (IntPtr)idp;
                    o.message_id.len = (UIntPtr)(id == null ? 0 : id.Length);
                    o.use_level = (byte)(options.Level.HasValue ? 1 : 0);
                    o.level = (int)options.Level.GetValueOrDefault();
                    op = &o;
                }
                MailshieldException.Check(Native.mailshield_protect(
                    Handle, k, p, (UIntPtr)data.Length, (uint)kind, op,
                    out r));
            }
            return new ProtectResult(r, unit);
        }

        /// <summary>
        /// Scans many texts in parallel inside the library (on every core)
        /// and waits for all; results in input order, offsets in UTF-16
        /// units of each text.
        /// </summary>
        public BatchResult ScanBatch(IEnumerable<string> texts)
        {
            if (texts == null)
            {
                throw new ArgumentNullException("texts");
            }
            var buffers = new List<byte[]>();
            foreach (string text in texts)
            {
                if (text == null)
                {
                    throw new ArgumentNullException("texts", "holds a null");
                }
                buffers.Add(Utf8.Encode(text));
            }
            return ScanBatch(buffers, InputKind.Text, OffsetUnit.Utf16);
        }

        /// <summary>
        /// Scans many buffers in parallel, each read as
        /// <paramref name="kind"/> says; offsets are bytes.
        /// </summary>
        public BatchResult ScanBatch(
            IEnumerable<byte[]> buffers, InputKind kind)
        {
            if (buffers == null)
            {
                throw new ArgumentNullException("buffers");
            }
            var list = new List<byte[]>(buffers);
            if (list.Contains(null))
            {
                throw new ArgumentNullException("buffers", "holds a null");
            }
            return ScanBatch(list, kind, OffsetUnit.Bytes);
        }

        private unsafe BatchResult ScanBatch(
            List<byte[]> buffers, InputKind kind, OffsetUnit unit)
        {
            // Every buffer pinned for the one call, then let go.
            var pins = new GCHandle[buffers.Count];
            var views = new Native.mailshield_bytes[buffers.Count];
            BatchHandle b;
            try
            {
                for (int i = 0; i < buffers.Count; i++)
                {
                    pins[i] = GCHandle.Alloc(buffers[i], GCHandleType.Pinned);
                    views[i].ptr = pins[i].AddrOfPinnedObject();
                    views[i].len = (UIntPtr)buffers[i].Length;
                }
                fixed (Native.mailshield_bytes* v = views)
                {
                    MailshieldException.Check(Native.mailshield_scan_batch(
                        Handle, v, (UIntPtr)views.Length, (uint)kind,
                        out b));
                }
            }
            finally
            {
                foreach (GCHandle pin in pins)
                {
                    if (pin.IsAllocated)
                    {
                        pin.Free();
                    }
                }
            }
            return new BatchResult(b, unit);
        }

        /// <summary>Frees the engine; safe to call more than once.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        internal EngineHandle Handle
        {
            get
            {
                if (handle.IsClosed)
                {
                    throw new ObjectDisposedException("Engine");
                }
                return handle;
            }
        }
    }

    /// <summary>Facts about the loaded native library.</summary>
    public static class Library
    {
        /// <summary>Its version, as <c>major.minor.patch</c>.</summary>
        public static string Version
        {
            get { return Utf8.FromNulTerminated(Native.mailshield_version()); }
        }
    }
}
