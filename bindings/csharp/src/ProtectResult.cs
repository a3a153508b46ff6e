// Protection: the redacted (and, where the policy says, sealed) copy of a
// message, beside what the scan found.
//
// Engine.Protect returns a ProtectResult: a ScanResult (findings, level,
// id...) that also holds the protected copy. Body is the redacted body in
// clear, as the library wrote it; Sealed is that body sealed (an ms1:
// envelope or a Fernet token) when the level's policy requires encryption
// and a cipher was asked for, else null. KeySet.Decrypt(Sealed, Id) gives
// Body back.
//
// Limitation: Body and the subject are managed strings, never wiped.

namespace Mailshield
{
    using System;
    using System.Collections.Generic;
    using System.Text;

    /// <summary>How <see cref="Engine.Protect(string, KeySet,
    /// ProtectOptions)"/> protects.</summary>
    public sealed class ProtectOptions
    {
        /// <summary>The defaults: AES-256-GCM, the message's own id and
        /// level.</summary>
        public ProtectOptions()
        {
            Cipher = Cipher.Aes256Gcm;
        }

        /// <summary>How the body is sealed; AES-256-GCM unless told.
        /// </summary>
        public Cipher Cipher { get; set; }

        /// <summary>
        /// The id the sealed body is bound to; null for the message's own
        /// (its Message-ID, else <c>-#0</c>), which becomes the result's
        /// <see cref="ScanResult.Id"/> either way.
        /// </summary>
        public string MessageId { get; set; }

        /// <summary>
        /// Protect as at this level instead of the message's own: what is
        /// redacted, where the body is cut and whether it is sealed follow
        /// that level's policy. Null for the message's own level.
        /// </summary>
        public Level? Level { get; set; }
    }

    /// <summary>A scan result with the protected copy of the message.
    /// </summary>
    public sealed class ProtectResult : ScanResult
    {
        private Copy copy;

        internal ProtectResult(ResultHandle handle, OffsetUnit unit)
            : base(handle, unit) { }

        /// <summary>The redacted (perhaps truncated) body, in clear,
        /// decoded as UTF-8.</summary>
        public string Body
        {
            get { return Read().BodyText; }
        }

        /// <summary>The redacted body, exactly as the library wrote it.
        /// </summary>
        public byte[] BodyBytes
        {
            get { return (byte[])Read().Body.Clone(); }
        }

        /// <summary>
        /// The sealed body (<c>ms1:...</c> or a Fernet token) when the
        /// level's policy requires encryption and a cipher was asked for;
        /// else null.
        /// </summary>
        public string Sealed
        {
            get { return Read().Sealed; }
        }

        /// <summary>The redacted subject when the pack scans subjects;
        /// else null.</summary>
        public string Subject
        {
            get { return Read().Subject; }
        }

        /// <summary>What was done, in the guide's wording.</summary>
        public IReadOnlyList<string> Log
        {
            get { return Array.AsReadOnly(Read().Log); }
        }

        private Copy Read()
        {
            ResultHandle h = Handle;
            if (copy == null)
            {
                Native.mailshield_protected p;
                MailshieldException.Check(
                    Native.mailshield_result_protected(h, out p));
                copy = new Copy(p);
            }
            return copy;
        }

        /// <summary>The protected copy, read once.</summary>
        private sealed class Copy
        {
            internal readonly byte[] Body;
            internal readonly string BodyText;
            internal readonly string Sealed;
            internal readonly string Subject;
            internal readonly string[] Log;

            internal Copy(Native.mailshield_protected p)
            {
                Body = Utf8.Bytes(p.body);
                BodyText = Encoding.UTF8.GetString(Body);
                Sealed = Utf8.Text(p.@sealed);
                Subject = p.subject.ptr == IntPtr.Zero
                    ? null
                    : Encoding.UTF8.GetString(Utf8.Bytes(p.subject));
                Log = Utf8.Texts(p.log, p.log_len);
            }
        }
    }
}
