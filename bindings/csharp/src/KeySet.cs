// Key sets: the keys that seal protected bodies and open them again.
//
// A key set is made fresh (one AES-256-GCM key), from one Fernet key as
// Python's Fernet.generate_key() prints it, or loaded from a key-set file
// written by `mailshield keygen`. Its key bytes stay inside the library
// and are wiped when it is freed; nothing here ever prints a key.
//
// Limitation: what Decrypt returns is a managed copy of the clear body,
// which the garbage collector may move and never wipes. The library's own
// buffer is wiped as soon as it is copied.

namespace Mailshield
{
    using System;
    using System.Text;

    /// <summary>Keys for sealing and opening; thread-safe.</summary>
    public sealed class KeySet : IDisposable
    {
        private readonly KeySetHandle handle;

        private KeySet(KeySetHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>A new key set with one fresh AES-256-GCM key.</summary>
        /// <exception cref="MailshieldException">
        /// Status Key or Crypto: the system's random generator failed.
        /// </exception>
        public static KeySet Generate()
        {
            KeySetHandle h;
            MailshieldException.Check(
                Native.mailshield_keyset_generate(out h));
            return new KeySet(h);
        }

        /// <summary>
        /// A key set holding one Fernet key (URL-safe base64 of 32 bytes),
        /// which seals and opens Fernet tokens.
        /// </summary>
        /// <exception cref="MailshieldException">
        /// Status Key: the text is not such a key (the message does not
        /// quote it).
        /// </exception>
        public static unsafe KeySet FromFernetKey(string key)
        {
            if (key == null)
            {
                throw new ArgumentNullException("key");
            }
            byte[] text = Utf8.Encode(key);
            KeySetHandle h;
            try
            {
                fixed (byte* p = text)
                {
                    MailshieldException.Check(
                        Native.mailshield_keyset_from_fernet_key(
                            p, (UIntPtr)text.Length, out h));
                }
            }
            finally
            {
                Array.Clear(text, 0, text.Length);
            }
            return new KeySet(h);
        }

        /// <summary>Loads a key-set file written by
        /// <c>mailshield keygen</c>.</summary>
        /// <exception cref="MailshieldException">
        /// Status Key: the file cannot be read or is not a key set.
        /// </exception>
        public static unsafe KeySet Load(string path)
        {
            if (path == null)
            {
                throw new ArgumentNullException("path");
            }
            byte[] name = Utf8.EncodeNulTerminated(path, "path");
            KeySetHandle h;
            fixed (byte* p = name)
            {
                MailshieldException.Check(
                    Native.mailshield_keyset_load(p, out h));
            }
            return new KeySet(h);
        }

        /// <summary>
        /// Seals <paramref name="data"/> on its own, without scanning: an
        /// <c>ms1:</c> envelope bound to <paramref name="messageId"/>, or
        /// a Fernet token (which binds no id).
        /// </summary>
        /// <exception cref="MailshieldException">
        /// Status InvalidArgument for <see cref="Cipher.None"/>; Key when
        /// the set has no key for the cipher.
        /// </exception>
        public unsafe string Encrypt(
            byte[] data, Cipher cipher, string messageId = null)
        {
            if (data == null)
            {
                throw new ArgumentNullException("data");
            }
            byte[] id = Utf8.Encode(messageId ?? "");
            BufferHandle b;
            fixed (byte* p = data)
            fixed (byte* idp = id)
            {
                MailshieldException.Check(Native.mailshield_encrypt(
                    Handle, p, (UIntPtr)data.Length, (uint)cipher, idp,
                    (UIntPtr)id.Length, out b));
            }
            return Encoding.ASCII.GetString(Take(b));
        }

        /// <summary>Seals the UTF-8 bytes of <paramref name="text"/>.
        /// </summary>
        public string Encrypt(
            string text, Cipher cipher, string messageId = null)
        {
            if (text == null)
            {
                throw new ArgumentNullException("text");
            }
            return Encrypt(Utf8.Encode(text), cipher, messageId);
        }

        /// <summary>
        /// Opens a sealed body (<see cref="ProtectResult.Sealed"/>) and
        /// decodes it as UTF-8.
        /// </summary>
        /// <param name="sealedText">An <c>ms1:</c> envelope or a Fernet
        /// token.</param>
        /// <param name="messageId">
        /// The id the envelope is bound to, the result's
        /// <see cref="ScanResult.Id"/> when it was protected; not read for
        /// a Fernet token.
        /// </param>
        /// <exception cref="MailshieldException">
        /// Status Key when the set holds no key for it; Crypto when it
        /// does not open (a wrong key or id, or a damaged value).
        /// </exception>
        public string Decrypt(string sealedText, string messageId = null)
        {
            if (sealedText == null)
            {
                throw new ArgumentNullException("sealedText");
            }
            byte[] clear = DecryptBytes(Utf8.Encode(sealedText), messageId);
            return Encoding.UTF8.GetString(clear);
        }

        /// <summary>As <see cref="Decrypt"/>, giving the exact bytes.
        /// </summary>
        public unsafe byte[] DecryptBytes(
            byte[] sealedValue, string messageId = null)
        {
            if (sealedValue == null)
            {
                throw new ArgumentNullException("sealedValue");
            }
            byte[] id = Utf8.Encode(messageId ?? "");
            BufferHandle b;
            fixed (byte* p = sealedValue)
            fixed (byte* idp = id)
            {
                MailshieldException.Check(Native.mailshield_decrypt(
                    Handle, p, (UIntPtr)sealedValue.Length, idp,
                    (UIntPtr)id.Length, out b));
            }
            return Take(b);
        }

        /// <summary>Copies a buffer's bytes, then frees (wipes) it.
        /// </summary>
        private static byte[] Take(BufferHandle b)
        {
            using (b)
            {
                Native.mailshield_bytes data;
                MailshieldException.Check(
                    Native.mailshield_buffer_data(b, out data));
                return Utf8.Bytes(data);
            }
        }

        /// <summary>Frees the key set, wiping its keys; safe to call more
        /// than once.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        internal KeySetHandle Handle
        {
            get
            {
                if (handle.IsClosed)
                {
                    throw new ObjectDisposedException("KeySet");
                }
                return handle;
            }
        }
    }
}
