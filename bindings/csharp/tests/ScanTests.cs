// Scanning: exact findings, classification and lists of a scan; byte
// input; errors of bad input and their statuses; a custom pack; UTF-16
// offsets around emoji, surrogate pairs and lone surrogates.

namespace Mailshield.Tests
{
    using System;
    using System.Collections.Generic;
    using System.IO;
    using System.Text;
    using static Mailshield.Tests.Sample;

    internal static class ScanTests
    {
        /// <summary>Runs every test of this file.</summary>
        internal static void Run(Harness h, Engine engine, string root)
        {
            h.Run("version", () => VersionIsSemantic(h));
            h.Run("scan", () => ScanIsExact(h, engine));
            h.Run("scan-bytes", () => ScanBytesIsExact(h, engine));
            h.Run("errors", () => BadInputs(h, engine));
            h.Run("custom-pack", () => CustomPack(h, root));
            h.Run("utf16", () => Utf16Offsets(h, engine));
        }

        private static void VersionIsSemantic(Harness h)
        {
            string[] parts = Library.Version.Split('.');
            int n;
            h.True(parts.Length == 3 && Array.TrueForAll(
                    parts, p => int.TryParse(p, out n)),
                "version is major.minor.patch: " + Library.Version);
        }

        private static void ScanIsExact(Harness h, Engine engine)
        {
            using (ScanResult r = engine.Scan(CardAndMail))
            {
                h.Lists(new[] {
                    "CREDIT_CARD body 5 24 ***1111 True 0.95",
                    "EMAIL body 31 44 ***@example.com True 0.9",
                }, Lines(r), "findings");
                h.Equal("4111 1111 1111 1111",
                    CardAndMail.Substring(5, 19), "card span");
                h.Equal("a@example.com",
                    CardAndMail.Substring(31, 13), "email span");
                h.Equal(OffsetUnit.Utf16, r.Unit, "unit");
                h.Equal("restricted", r.Classification, "classification");
                h.Equal(Level.Restricted, r.Level, "level");
                h.Equal(0.95, r.Confidence, "confidence");
                h.Equal(true, r.Complete, "complete");
                h.Equal("-#0", r.Id, "id");
                h.Equal(0, r.Keywords.Count, "keywords");
                h.Lists(new[] { "High-sensitivity PII detected" },
                    r.RiskFactors, "risk factors");
                h.Lists(new[] {
                    "Apply encryption", "Enable access logging",
                    "Require approval for access",
                }, r.RecommendedActions, "recommended actions");
                h.Equal(0, r.Warnings.Count, "warnings");
                h.Equal(0, r.Errors.Count, "errors");
                h.Equal(1, r.Fields.Count, "fields");
                h.Equal("body", r.Fields[0].Name, "field name");
                // Plain text is scanned in place: the caller holds it.
                h.Equal("", r.Fields[0].Text, "field text");
                h.True(r.Json.StartsWith(
                        "{\"id\":\"-#0\",\"source\":{\"path\":\"-\","
                        + "\"index\":0},\"classification\":\"restricted\""),
                    "json line: " + r.Json);
                h.True(r.Json.Contains("\"counts\":{\"CREDIT_CARD\":1,"
                        + "\"EMAIL\":1}"),
                    "json counts: " + r.Json);
            }
            using (ScanResult r = engine.Scan("Nothing to see here."))
            {
                h.Equal(0, r.Findings.Count, "clean text: findings");
                h.Equal("internal", r.Classification,
                    "clean text: classification");
            }
        }

        private static void ScanBytesIsExact(Harness h, Engine engine)
        {
            // "é" is two bytes and one UTF-16 unit: byte offsets move.
            byte[] data = Encoding.UTF8.GetBytes("é " + CardAndMail);
            using (ScanResult r = engine.Scan(data, InputKind.Text))
            {
                h.Equal(OffsetUnit.Bytes, r.Unit, "unit");
                h.Lists(new[] {
                    "CREDIT_CARD body 8 27 ***1111 True 0.95",
                    "EMAIL body 34 47 ***@example.com True 0.9",
                }, Lines(r), "findings");
            }
        }

        private static void BadInputs(Harness h, Engine engine)
        {
            MailshieldException e = h.Fails(
                Status.Rules, "mailshield_engine_new",
                () => new Engine("no-such-pack"), "unknown pack");
            if (e != null)
            {
                h.True(e.Message.Contains("no-such-pack"),
                    "the message names the pack: " + e.Message);
            }
            h.Fails(Status.Rules, "mailshield_engine_from_toml",
                () => Engine.FromToml("[pack\n"), "TOML that does not parse");
            h.Fails(Status.Key, "mailshield_protect",
                () => engine.Protect(CardAndMail),
                "sealing with no key set");
            h.Fails(Status.InvalidArgument, "mailshield_protect",
                () => engine.Protect(CardAndMail, null,
                    new ProtectOptions { Level = (Level)9 }),
                "a level out of range");
            e = h.Fails(Status.InvalidArgument, "mailshield_scan",
                () => engine.Scan(new byte[1], (InputKind)7),
                "an unknown input kind");
            if (e != null)
            {
                h.Equal("mailshield_scan: unknown input kind 7", e.Message,
                    "message");
            }
            e = h.Fails(Status.Key, "mailshield_keyset_from_fernet_key",
                () => KeySet.FromFernetKey("not-a-key-at-all"),
                "a bad Fernet key");
            if (e != null)
            {
                h.True(!e.Message.Contains("not-a-key-at-all"),
                    "the message does not quote the key");
            }
            h.Fails(Status.Key, "mailshield_keyset_load",
                () => KeySet.Load("/nonexistent/mailshield-keys.json"),
                "a key file that does not exist");
            using (var seed = new Engine("seed"))
            {
                h.Fails(Status.State, "mailshield_stream_new",
                    () => new StreamScanner(seed), "a stream on seed");
            }
            h.Throws<ArgumentNullException>(
                () => engine.Scan((string)null), "null text");
            h.Throws<ArgumentException>(
                () => new Engine("def\0ault"), "a pack name with a NUL");
        }

        private static void CustomPack(Harness h, string root)
        {
            string toml = File.ReadAllText(
                Path.Combine(root, "examples/custom-pack.toml"));
            using (Engine acme = Engine.FromToml(toml))
            using (ScanResult r = acme.Scan("Ask EMP-123456 today"))
            {
                h.True(new List<string>(acme.Entities).Contains(
                    "EMPLOYEE_ID"), "entities list EMPLOYEE_ID");
                h.Lists(new[] { "EMPLOYEE_ID body 4 14 *** False 0.9" },
                    Lines(r), "findings");
            }
        }

        private static void Utf16Offsets(Harness h, Engine engine)
        {
            // Each case: text, and the value that must be at the span.
            string[][] cases = {
                new[] { "\U0001F600 a@example.com", "a@example.com" },
                new[] { "\U0001F600\U0001F600x 536-90-1234 \U0001F389",
                    "536-90-1234" },
                new[] { "\u00e9\U0001D11E card 5555 5555 5555 4444",
                    "5555 5555 5555 4444" },
                // A lone surrogate: U+FFFD in UTF-8, still one unit.
                new[] { "\uD83D a@example.com", "a@example.com" },
                new[] { "x\uDE00\uD83D\uDE00 b@example.org", "b@example.org" },
            };
            foreach (string[] c in cases)
            {
                string text = c[0], value = c[1];
                using (ScanResult r = engine.Scan(text))
                {
                    h.Equal(1, r.Findings.Count, "one finding in " + value);
                    if (r.Findings.Count == 1)
                    {
                        Finding f = r.Findings[0];
                        h.Equal(text.IndexOf(value), f.Start,
                            "start of " + value);
                        h.Equal(value,
                            text.Substring(f.Start, f.End - f.Start),
                            "the span of " + value);
                    }
                }
            }
            // A surrogate pair cut between pieces of a stream; the second
            // cut once gave a unit too few (the encoder never kept a high
            // surrogate that came alone).
            string[][] cuts = {
                new[] { "ab\uD83D", "\uDE00 c@example.com" },
                new[] { "ab", "\uD83D", "\uDE00 c@example.com" },
            };
            foreach (string[] pieces in cuts)
            {
                using (var stream = new StreamScanner(engine))
                {
                    foreach (string piece in pieces)
                    {
                        stream.Feed(piece);
                    }
                    using (ScanResult r = stream.Finish())
                    {
                        h.Lists(new[] {
                            "EMAIL body 5 18 ***@example.com True 0.9",
                        }, Lines(r), "stream across a surrogate pair in "
                            + pieces.Length + " pieces");
                    }
                }
            }
            // A high surrogate at the very end becomes U+FFFD: one unit.
            using (var stream = new StreamScanner(engine))
            {
                stream.Feed("c@example.com \uD83D");
                using (ScanResult r = stream.Finish())
                {
                    h.Lists(new[] {
                        "EMAIL body 0 13 ***@example.com True 0.9",
                    }, Lines(r), "a stream ending in half a pair");
                }
            }
        }
    }
}
