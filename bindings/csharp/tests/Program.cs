// The test program of the C# binding: exact results for scan, protect,
// decrypt, errors, batches, streams, UTF-16 offsets and disposal, over
// the real library (no mocks).
//
// Usage: mono Tests.exe REPO_ROOT [--layout FILE]
//
// REPO_ROOT holds tests/data/parity and examples/; FILE is the output of
// tests/layout.c (see Layout.cs). Exit code 0 only when every check
// passed; each failure prints one line.

namespace Mailshield.Tests
{
    using System;
    using System.Collections.Generic;

    internal static class Program
    {
        private static int Main(string[] args)
        {
            if (args.Length != 1 && !(args.Length == 3
                && args[1] == "--layout"))
            {
                Console.Error.WriteLine(
                    "usage: Tests.exe REPO_ROOT [--layout FILE]");
                return 2;
            }
            string root = args[0];
            string layout = args.Length == 3 ? args[2] : null;
            var h = new Harness();
            using (var engine = new Engine())
            {
                ScanTests.Run(h, engine, root);
                h.Run("parity", () => Parity.Check(h, engine, root));
                h.Run("layout", () => Layout.Check(h, layout));
                ProtectTests.Run(h, engine, root);
                HandleTests.Run(h, engine, root);
            }
            h.Summary();
            return h.Failures == 0 ? 0 : 1;
        }
    }

    /// <summary>What the tests share: sample inputs and how findings are
    /// compared.</summary>
    internal static class Sample
    {
        // The example: a test card number and a reserved domain.
        internal const string CardAndMail =
            "Card 4111 1111 1111 1111, mail a@example.com";
        internal const string Redacted =
            "Card [CREDIT_CARD_REDACTED], mail [EMAIL_REDACTED]";
        internal const string FernetKey =
            "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

        /// <summary>A finding as one comparable line.</summary>
        internal static string Line(Finding f)
        {
            return f.Type + " " + f.Field + " " + f.Start + " " + f.End + " "
                + f.Masked + " " + f.Validated + " " + f.Score;
        }

        /// <summary>The findings of a result, one line each.</summary>
        internal static List<string> Lines(ScanResult r)
        {
            var lines = new List<string>();
            foreach (Finding f in r.Findings)
            {
                lines.Add(Line(f));
            }
            return lines;
        }
    }
}
