// The parity table: tests/data/parity/expected.tsv lists every finding of
// the three parity inputs with byte, code point and UTF-16 offsets, and
// the Rust, C, Python and C# suites each check every row in their own
// unit.
//
// Here plain.txt and emoji.txt are read as text into a string and scanned
// as such: Start and End are UTF-16 units, compared with the start_utf16
// and end_utf16 columns. message.eml is a raw message given as bytes
// (InputKind.Message): Start and End are bytes of each decoded field,
// compared with the start and end columns. The other columns are then
// checked against the text itself, counted here and not by the library:
// bytes and code points before each UTF-16 offset of a string, UTF-16
// units and code points before each byte offset of a field.

namespace Mailshield.Tests
{
    using System;
    using System.Collections.Generic;
    using System.IO;
    using System.Text;

    internal static class Parity
    {
        private sealed class Row
        {
            internal string Input, Field, Type, Masked, Classification;
            internal int Start, End, StartChar, EndChar, StartUtf16,
                EndUtf16;
        }

        /// <summary>A file's UTF-8 text, exactly (no BOM sniffing).
        /// </summary>
        internal static string ReadText(string path)
        {
            return new UTF8Encoding(false, true).GetString(
                File.ReadAllBytes(path));
        }

        internal static void Check(Harness h, Engine engine, string root)
        {
            string dir = Path.Combine(root, "tests/data/parity");
            List<Row> rows = Read(Path.Combine(dir, "expected.tsv"));
            h.Equal(12, rows.Count, "rows in expected.tsv");
            foreach (string input in new[] {
                "plain.txt", "emoji.txt", "message.eml" })
            {
                List<Row> want = rows.FindAll(r => r.Input == input);
                h.True(want.Count > 0, input + ": rows");
                string path = Path.Combine(dir, input);
                if (input.EndsWith(".eml"))
                {
                    CheckMessage(h, engine, File.ReadAllBytes(path), want);
                }
                else
                {
                    CheckText(h, engine, ReadText(path), want);
                }
            }
        }

        private static void CheckText(
            Harness h, Engine engine, string text, List<Row> want)
        {
            using (ScanResult r = engine.Scan(text))
            {
                string name = want[0].Input;
                h.Equal(want.Count, r.Findings.Count, name + ": findings");
                int n = Math.Min(want.Count, r.Findings.Count);
                for (int i = 0; i < n; i++)
                {
                    Row w = want[i];
                    Finding f = r.Findings[i];
                    string at = name + " row " + i + " (" + w.Type + ")";
                    Same(h, w, f, r, at);
                    h.Equal(w.StartUtf16, f.Start, at + ": start_utf16");
                    h.Equal(w.EndUtf16, f.End, at + ": end_utf16");

                    // The other units, counted over the string.
                    string before = text.Substring(0, f.Start);
                    string value = text.Substring(f.Start, f.End - f.Start);
                    h.Equal(w.Start, Encoding.UTF8.GetByteCount(before),
                        at + ": start (bytes)");
                    h.Equal(w.End, w.Start + Encoding.UTF8.GetByteCount(
                        value), at + ": end (bytes)");
                    h.Equal(w.StartChar, CodePoints(before),
                        at + ": start_char");
                    h.Equal(w.EndChar, w.StartChar + CodePoints(value),
                        at + ": end_char");
                    Looks(h, w, value, at);
                }
            }
        }

        private static void CheckMessage(
            Harness h, Engine engine, byte[] raw, List<Row> want)
        {
            using (ScanResult r = engine.Scan(raw, InputKind.Message))
            {
                string name = want[0].Input;
                h.Equal(want.Count, r.Findings.Count, name + ": findings");
                int n = Math.Min(want.Count, r.Findings.Count);
                for (int i = 0; i < n; i++)
                {
                    Row w = want[i];
                    Finding f = r.Findings[i];
                    string at = name + " row " + i + " (" + w.Type + ")";
                    Same(h, w, f, r, at);
                    h.Equal(w.Start, f.Start, at + ": start (bytes)");
                    h.Equal(w.End, f.End, at + ": end (bytes)");

                    // The other units, counted over the field's bytes.
                    byte[] field = r.Fields[f.FieldIndex].Bytes;
                    string before = Encoding.UTF8.GetString(field, 0, f.Start);
                    string value = Encoding.UTF8.GetString(
                        field, f.Start, f.End - f.Start);
                    h.Equal(w.StartUtf16, before.Length, at + ": start_utf16");
                    h.Equal(w.EndUtf16, before.Length + value.Length,
                        at + ": end_utf16");
                    h.Equal(w.StartChar, CodePoints(before),
                        at + ": start_char");
                    h.Equal(w.EndChar, w.StartChar + CodePoints(value),
                        at + ": end_char");
                    Looks(h, w, value, at);
                }
            }
        }

        /// <summary>The columns that do not depend on the unit.</summary>
        private static void Same(
            Harness h, Row w, Finding f, ScanResult r, string at)
        {
            h.Equal(w.Field, f.Field, at + ": field");
            h.Equal(w.Type, f.Type, at + ": type");
            h.Equal(w.Masked, f.Masked, at + ": masked");
            h.Equal(w.Classification, r.Classification,
                at + ": classification");
        }

        /// <summary>
        /// The span holds the value its mask shows: the masked tail
        /// (<c>@example.com</c>, or the last four digits) ends it.
        /// </summary>
        private static void Looks(Harness h, Row w, string value, string at)
        {
            string tail = w.Masked.Substring(3);
            string shown = w.Type == "EMAIL" ? value : Digits(value);
            h.True(w.Masked.StartsWith("***") && shown.EndsWith(tail),
                at + ": the span ends with the masked tail " + tail);
        }

        private static string Digits(string s)
        {
            var digits = new StringBuilder();
            foreach (char c in s)
            {
                if (c >= '0' && c <= '9')
                {
                    digits.Append(c);
                }
            }
            return digits.ToString();
        }

        private static int CodePoints(string s)
        {
            int n = 0;
            for (int i = 0; i < s.Length; i++)
            {
                if (!char.IsLowSurrogate(s[i]) || i == 0
                    || !char.IsHighSurrogate(s[i - 1]))
                {
                    n++;
                }
            }
            return n;
        }

        private static List<Row> Read(string path)
        {
            var rows = new List<Row>();
            foreach (string line in File.ReadAllLines(path))
            {
                if (line.Length == 0 || line.StartsWith("#"))
                {
                    continue;
                }
                string[] c = line.Split('\t');
                if (c.Length != 11)
                {
                    throw new FormatException(
                        "expected.tsv: 11 columns expected: " + line);
                }
                rows.Add(new Row
                {
                    Input = c[0], Field = c[1], Type = c[2],
                    Start = int.Parse(c[3]), End = int.Parse(c[4]),
                    StartChar = int.Parse(c[5]), EndChar = int.Parse(c[6]),
                    StartUtf16 = int.Parse(c[7]), EndUtf16 = int.Parse(c[8]),
                    Masked = c[9], Classification = c[10],
                });
            }
            return rows;
        }
    }
}
