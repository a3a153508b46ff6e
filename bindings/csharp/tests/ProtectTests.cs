// Protection and crypto: the redacted body and log, AES-256-GCM and
// Fernet round trips through Decrypt, a wrong message id, another key,
// a tampered envelope, protection at a given level, a raw message.

namespace Mailshield.Tests
{
    using System;
    using System.Collections.Generic;
    using System.IO;
    using System.Text;
    using static Mailshield.Tests.Sample;

    internal static class ProtectTests
    {
        /// <summary>Runs every test of this file.</summary>
        internal static void Run(Harness h, Engine engine, string root)
        {
            h.Run("protect-none", () => ProtectNone(h, engine));
            h.Run("protect-aes", () => ProtectAesRoundTrip(h, engine));
            h.Run("protect-fernet", () => ProtectFernet(h, engine));
            h.Run("protect-level", () => ProtectAtLevel(h, engine));
            h.Run("protect-message", () => ProtectMessage(h, engine, root));
            h.Run("encrypt", () => EncryptRoundTrip(h));
        }

        private static void ProtectNone(Harness h, Engine engine)
        {
            var none = new ProtectOptions { Cipher = Cipher.None };
            using (ProtectResult p = engine.Protect(CardAndMail, null, none))
            {
                h.Equal(Redacted, p.Body, "body");
                h.Equal(Redacted, Encoding.UTF8.GetString(p.BodyBytes),
                    "body bytes");
                h.Equal(null, p.Sealed, "sealed");
                h.Equal(null, p.Subject, "subject");
                h.Lists(new[] {
                    "Replaced 1 CREDIT_CARD instances",
                    "Replaced 1 EMAIL instances",
                }, p.Log, "log");
                h.Lists(new[] {
                    "CREDIT_CARD body 5 24 ***1111 True 0.95",
                    "EMAIL body 31 44 ***@example.com True 0.9",
                }, Lines(p), "findings");
                h.Equal("restricted", p.Classification, "classification");
            }
        }

        private static void ProtectAesRoundTrip(Harness h, Engine engine)
        {
            using (KeySet keys = KeySet.Generate())
            using (KeySet other = KeySet.Generate())
            using (ProtectResult p = engine.Protect(CardAndMail, keys))
            {
                h.Equal(Redacted, p.Body, "body");
                h.True(p.Sealed != null && p.Sealed.StartsWith("ms1:"),
                    "sealed is an ms1 envelope");
                h.Equal("-#0", p.Id, "id");
                h.Equal(Redacted, keys.Decrypt(p.Sealed, p.Id), "decrypt");
                MailshieldException e = h.Fails(
                    Status.Crypto, "mailshield_decrypt",
                    () => keys.Decrypt(p.Sealed, "-#1"),
                    "decrypt with a wrong message id");
                if (e != null)
                {
                    h.True(!e.Message.Contains("-#1")
                            && !e.Message.Contains("REDACTED"),
                        "the message quotes neither id nor body");
                }
                h.Fails(Status.Key, "mailshield_decrypt",
                    () => other.Decrypt(p.Sealed, p.Id),
                    "decrypt with another key set");
                h.Fails(Status.Crypto, "mailshield_decrypt",
                    () => keys.Decrypt(Flip(p.Sealed), p.Id),
                    "decrypt a tampered envelope");
            }

            // A message id of the caller's choosing becomes the result's.
            var options = new ProtectOptions { MessageId = "m-7@example.com" };
            using (KeySet keys = KeySet.Generate())
            using (ProtectResult p =
                engine.Protect(CardAndMail, keys, options))
            {
                h.Equal("m-7@example.com", p.Id, "given id");
                h.Equal(Redacted, keys.Decrypt(p.Sealed, "m-7@example.com"),
                    "decrypt with the given id");
                h.Fails(Status.Crypto, "mailshield_decrypt",
                    () => keys.Decrypt(p.Sealed, "-#0"),
                    "decrypt with the default id");
            }
        }

        /// <summary>The envelope with one character near its end changed.
        /// </summary>
        private static string Flip(string sealedText)
        {
            char[] c = sealedText.ToCharArray();
            int i = c.Length - 5;
            c[i] = c[i] == 'A' ? 'B' : 'A';
            return new string(c);
        }

        private static void ProtectFernet(Harness h, Engine engine)
        {
            var fernet = new ProtectOptions { Cipher = Cipher.Fernet };
            using (KeySet keys = KeySet.FromFernetKey(FernetKey))
            using (KeySet aes = KeySet.Generate())
            using (ProtectResult p = engine.Protect(CardAndMail, keys, fernet))
            {
                h.Equal(Redacted, p.Body, "body");
                h.True(p.Sealed != null && p.Sealed.StartsWith("gAAAAA"),
                    "sealed is a Fernet token");
                h.Equal(Redacted, keys.Decrypt(p.Sealed), "decrypt");
                h.Equal(Redacted, keys.Decrypt(p.Sealed, "any id"),
                    "a Fernet token binds no id");
                h.Fails(Status.Key, "mailshield_decrypt",
                    () => aes.Decrypt(p.Sealed),
                    "decrypt with no Fernet key");
                h.Fails(Status.Key, "mailshield_protect",
                    () => engine.Protect(CardAndMail, aes, fernet),
                    "Fernet with an AES key");
            }
            // The same key again opens it: tokens outlive the key set.
            string token;
            using (KeySet keys = KeySet.FromFernetKey(FernetKey))
            {
                token = keys.Encrypt("hello", Cipher.Fernet);
            }
            using (KeySet again = KeySet.FromFernetKey(FernetKey))
            {
                h.Equal("hello", again.Decrypt(token), "a new key set");
            }
        }

        private static void ProtectAtLevel(Harness h, Engine engine)
        {
            using (KeySet keys = KeySet.Generate())
            {
                var pub = new ProtectOptions { Level = Level.Public };
                using (ProtectResult p = engine.Protect(
                    "hello there", keys, pub))
                {
                    h.Equal(null, p.Sealed, "public: not sealed");
                    h.Equal("hello there", p.Body, "public: body");
                }
                var top = new ProtectOptions { Level = Level.Restricted };
                using (ProtectResult p = engine.Protect(
                    "hello there", keys, top))
                {
                    h.True(p.Sealed != null, "restricted: sealed");
                    h.Equal("hello there", keys.Decrypt(p.Sealed, p.Id),
                        "restricted: decrypt");
                }
            }
        }

        private static void ProtectMessage(
            Harness h, Engine engine, string root)
        {
            byte[] raw = File.ReadAllBytes(
                Path.Combine(root, "tests/data/parity/message.eml"));
            var none = new ProtectOptions { Cipher = Cipher.None };
            using (ProtectResult p = engine.Protect(
                raw, InputKind.Message, null, none))
            {
                h.Equal("Hi Bob \U0001F600, my card is "
                    + "[CREDIT_CARD_REDACTED] and my phone\nis "
                    + "[PHONE_REDACTED]. Mail me at [EMAIL_REDACTED].\n",
                    p.Body, "body");
                h.Equal("\U0001F600 Your card", p.Subject, "subject");
                h.Equal("parity-1@example.com", p.Id, "id");
                h.Equal(OffsetUnit.Bytes, p.Unit, "unit");
                var names = new List<string>();
                foreach (Field f in p.Fields)
                {
                    names.Add(f.Name);
                }
                h.Lists(new[] { "from", "to", "subject", "body" }, names,
                    "fields");
            }
        }

        private static void EncryptRoundTrip(Harness h)
        {
            // Bytes that are not UTF-8 come back exactly.
            byte[] data = { 0xff, 0x00, 0x41, 0xc3 };
            using (KeySet keys = KeySet.Generate())
            {
                string env = keys.Encrypt(data, Cipher.Aes256Gcm, "id-1");
                h.True(env.StartsWith("ms1:"), "ms1 envelope");
                h.Equal(Hex(data), Hex(keys.DecryptBytes(
                    Encoding.ASCII.GetBytes(env), "id-1")), "bytes back");
                h.Fails(Status.InvalidArgument, "mailshield_encrypt",
                    () => keys.Encrypt(data, Cipher.None),
                    "encrypt with no cipher");
            }
        }

        private static string Hex(byte[] b)
        {
            return BitConverter.ToString(b);
        }
    }
}
