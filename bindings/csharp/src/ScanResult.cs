// Results: what one scan found in one message, read through the ABI's
// accessors (no JSON parsing).
//
// A ScanResult owns a result handle (or, inside a batch, borrows one) and
// reads each part on first use: the summary (level, classification,
// confidence, completeness, id), the findings, the keyword hits, the
// fields with their decoded text, the risk factors, recommended actions,
// warnings, errors, and the JSON line the command line prints. What has
// been read is kept; every member throws ObjectDisposedException once the
// result is disposed.
//
// Offsets are in the unit of the input (Unit): UTF-16 units of the string
// scanned, or bytes of the field's UTF-8 text for input given as bytes.
// For a raw message the fields are decoded text, not the raw bytes: slice
// Field.Bytes with byte offsets. For plain text the library scans the
// caller's buffer in place and keeps no copy, so the one field, body, has
// no text: the caller's own string is what the offsets index.
//
// Thread safety: reading one result from several threads at once is safe;
// two threads may both read a part the first time, and one copy wins.

namespace Mailshield
{
    using System;
    using System.Collections.Generic;

    /// <summary>What a scan found in one message.</summary>
    public class ScanResult : IDisposable
    {
        private readonly ResultHandle handle;
        private readonly OffsetUnit unit;
        private Summary summary;
        private string[] fieldNames;
        private Field[] fields;
        private Finding[] findings;
        private Keyword[] keywords;
        private string[] riskFactors;
        private string[] actions;
        private string[] warnings;
        private string[] errors;
        private string json;

        internal ScanResult(ResultHandle handle, OffsetUnit unit)
        {
            this.handle = handle;
            this.unit = unit;
        }

        /// <summary>What the offsets count.</summary>
        public OffsetUnit Unit
        {
            get { Live(); return unit; }
        }

        /// <summary>The level of the message.</summary>
        public Level Level
        {
            get { return ReadSummary().Level; }
        }

        /// <summary>The level's name: <c>public</c>, <c>internal</c>,
        /// <c>confidential</c> or <c>restricted</c>.</summary>
        public string Classification
        {
            get { return ReadSummary().Classification; }
        }

        /// <summary>The confidence of the rule that decided the level.
        /// </summary>
        public double Confidence
        {
            get { return ReadSummary().Confidence; }
        }

        /// <summary>Every byte was read and scanned; when false,
        /// <see cref="Errors"/> says why.</summary>
        public bool Complete
        {
            get { return ReadSummary().Complete; }
        }

        /// <summary>
        /// The record's id: the Message-ID without angle brackets, else
        /// <c>-#0</c> (<c>-#i</c> in a batch). A sealed body is bound to
        /// it.
        /// </summary>
        public string Id
        {
            get { return ReadSummary().Id; }
        }

        /// <summary>The findings, sorted by field and start.</summary>
        public IReadOnlyList<Finding> Findings
        {
            get
            {
                Live();
                findings = findings ?? ReadFindings();
                return Array.AsReadOnly(findings);
            }
        }

        /// <summary>The keyword hits, sorted by field and start.</summary>
        public IReadOnlyList<Keyword> Keywords
        {
            get
            {
                Live();
                keywords = keywords ?? ReadKeywords();
                return Array.AsReadOnly(keywords);
            }
        }

        /// <summary>
        /// The fields as scanned, with their decoded text; that text is
        /// empty for plain-text input (the caller holds it) and for the
        /// result of a stream.
        /// </summary>
        public IReadOnlyList<Field> Fields
        {
            get
            {
                Live();
                fields = fields ?? ReadFields();
                return Array.AsReadOnly(fields);
            }
        }

        /// <summary>The risk factors behind the level, in rule order.
        /// </summary>
        public IReadOnlyList<string> RiskFactors
        {
            get
            {
                return Texts(
                    ref riskFactors, Native.mailshield_result_risk_factors);
            }
        }

        /// <summary>The actions the level's policy recommends.</summary>
        public IReadOnlyList<string> RecommendedActions
        {
            get
            {
                return Texts(
                    ref actions, Native.mailshield_result_recommended_actions);
            }
        }

        /// <summary>Warnings of decoding (a skipped part, a parser
        /// fallback).</summary>
        public IReadOnlyList<string> Warnings
        {
            get
            {
                return Texts(ref warnings, Native.mailshield_result_warnings);
            }
        }

        /// <summary>Errors that left part of the message unread or
        /// unscanned.</summary>
        public IReadOnlyList<string> Errors
        {
            get { return Texts(ref errors, Native.mailshield_result_errors); }
        }

        /// <summary>
        /// The JSON line <c>mailshield scan</c> prints for this message
        /// (source path <c>-</c>), without a line break. Its offsets are
        /// bytes, whatever <see cref="Unit"/> says.
        /// </summary>
        public string Json
        {
            get
            {
                if (json == null)
                {
                    Native.mailshield_text t;
                    MailshieldException.Check(
                        Native.mailshield_result_json(Handle, out t));
                    json = Utf8.Text(t);
                }
                return json;
            }
        }

        /// <summary>Frees the result; safe to call more than once.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        internal bool IsDisposed
        {
            get { return handle.IsClosed; }
        }

        internal ResultHandle Handle
        {
            get { Live(); return handle; }
        }

        private void Live()
        {
            if (handle.IsClosed)
            {
                throw new ObjectDisposedException(GetType().Name);
            }
        }

        private Summary ReadSummary()
        {
            Live();
            if (summary == null)
            {
                Native.mailshield_summary s;
                MailshieldException.Check(
                    Native.mailshield_result_summary(handle, out s));
                summary = new Summary(s);
            }
            return summary;
        }

        private unsafe Finding[] ReadFindings()
        {
            IntPtr items;
            UIntPtr count;
            MailshieldException.Check(Native.mailshield_result_findings(
                handle, out items, out count));
            string[] names = FieldNames();
            var views = (Native.mailshield_finding*)items;
            var list = new Finding[Utf8.Length(count)];
            for (int i = 0; i < list.Length; i++)
            {
                list[i] = new Finding(views[i], names, unit);
            }
            return list;
        }

        private unsafe Keyword[] ReadKeywords()
        {
            IntPtr items;
            UIntPtr count;
            MailshieldException.Check(Native.mailshield_result_keywords(
                handle, out items, out count));
            string[] names = FieldNames();
            var views = (Native.mailshield_keyword*)items;
            var list = new Keyword[Utf8.Length(count)];
            for (int i = 0; i < list.Length; i++)
            {
                list[i] = new Keyword(views[i], names, unit);
            }
            return list;
        }

        private unsafe Field[] ReadFields()
        {
            IntPtr items;
            UIntPtr count;
            MailshieldException.Check(Native.mailshield_result_fields(
                handle, out items, out count));
            var views = (Native.mailshield_field*)items;
            var list = new Field[Utf8.Length(count)];
            for (int i = 0; i < list.Length; i++)
            {
                list[i] = new Field(
                    Utf8.Text(views[i].name), Utf8.Bytes(views[i].text));
            }
            return list;
        }

        /// <summary>The names of the fields, without copying their text.
        /// </summary>
        private unsafe string[] FieldNames()
        {
            if (fieldNames == null)
            {
                IntPtr items;
                UIntPtr count;
                MailshieldException.Check(Native.mailshield_result_fields(
                    handle, out items, out count));
                var views = (Native.mailshield_field*)items;
                var names = new string[Utf8.Length(count)];
                for (int i = 0; i < names.Length; i++)
                {
                    names[i] = Utf8.Text(views[i].name);
                }
                fieldNames = names;
            }
            return fieldNames;
        }

        private delegate Status ListCall(
            ResultHandle result, out IntPtr items, out UIntPtr count);

        private IReadOnlyList<string> Texts(ref string[] slot, ListCall call)
        {
            Live();
            if (slot == null)
            {
                IntPtr items;
                UIntPtr count;
                MailshieldException.Check(call(handle, out items, out count));
                slot = Utf8.Texts(items, count);
            }
            return Array.AsReadOnly(slot);
        }

        /// <summary>The scalars of mailshield_summary, copied.</summary>
        private sealed class Summary
        {
            internal readonly Level Level;
            internal readonly string Classification;
            internal readonly double Confidence;
            internal readonly bool Complete;
            internal readonly string Id;

            internal Summary(Native.mailshield_summary s)
            {
                Level = (Level)s.level;
                Classification = Utf8.Text(s.classification);
                Confidence = s.confidence;
                Complete = s.complete != 0;
                Id = Utf8.Text(s.id);
            }
        }
    }

    /// <summary>One finding: an entity found in a field.</summary>
    public sealed class Finding
    {
        /// <summary>The entity type: <c>EMAIL</c>, <c>CREDIT_CARD</c>...
        /// </summary>
        public string Type { get; private set; }

        /// <summary>The name of its field: <c>body</c>, <c>subject</c>...
        /// </summary>
        public string Field { get; private set; }

        /// <summary>The index of its field in
        /// <see cref="ScanResult.Fields"/>.</summary>
        public int FieldIndex { get; private set; }

        /// <summary>Where it starts, in the result's unit.</summary>
        public int Start { get; private set; }

        /// <summary>Where it ends (exclusive), in the result's unit.
        /// </summary>
        public int End { get; private set; }

        /// <summary>Its score, 0 to 1, rounded to four decimals.</summary>
        public double Score { get; private set; }

        /// <summary>True only when a validator (Luhn, a checksum)
        /// confirmed it.</summary>
        public bool Validated { get; private set; }

        /// <summary>The value masked as the pack says
        /// (<c>***@example.com</c>, <c>***1111</c>...).</summary>
        public string Masked { get; private set; }

        internal Finding(
            Native.mailshield_finding f, string[] fields, OffsetUnit unit)
        {
            Type = Utf8.Text(f.entity_type);
            FieldIndex = checked((int)f.field);
            Field = fields[FieldIndex];
            Start = Offsets.Start(f.span, unit);
            End = Offsets.End(f.span, unit);
            Score = f.score;
            Validated = f.validated != 0;
            Masked = Utf8.Text(f.masked);
        }

        /// <summary>Type, field and span; never the value.</summary>
        public override string ToString()
        {
            return Type + " in " + Field + " at " + Start + ".." + End;
        }
    }

    /// <summary>One keyword hit.</summary>
    public sealed class Keyword
    {
        /// <summary>The keyword as the pack lists it.</summary>
        public string Word { get; private set; }

        /// <summary>The name of its field.</summary>
        public string Field { get; private set; }

        /// <summary>The index of its field.</summary>
        public int FieldIndex { get; private set; }

        /// <summary>Where it starts, in the result's unit.</summary>
        public int Start { get; private set; }

        /// <summary>Where it ends (exclusive), in the result's unit.
        /// </summary>
        public int End { get; private set; }

        /// <summary>True when it lies in a disclaimer footer (it does not
        /// classify).</summary>
        public bool InFooter { get; private set; }

        internal Keyword(
            Native.mailshield_keyword k, string[] fields, OffsetUnit unit)
        {
            Word = Utf8.Text(k.keyword);
            FieldIndex = checked((int)k.field);
            Field = fields[FieldIndex];
            Start = Offsets.Start(k.span, unit);
            End = Offsets.End(k.span, unit);
            InFooter = k.in_footer != 0;
        }

        /// <summary>Keyword, field and span.</summary>
        public override string ToString()
        {
            return Word + " in " + Field + " at " + Start + ".." + End;
        }
    }

    /// <summary>One field of a scanned message.</summary>
    public sealed class Field
    {
        /// <summary>Its name: <c>body</c>, <c>body.1</c>,
        /// <c>subject</c>, <c>from</c>...</summary>
        public string Name { get; private set; }

        /// <summary>
        /// Its decoded text as UTF-8, exactly as scanned: byte offsets
        /// index these bytes. Empty for plain-text input and streams.
        /// </summary>
        public byte[] Bytes { get; private set; }

        /// <summary>
        /// Its text as a string. N.B. Bytes that are not UTF-8 become
        /// U+FFFD here, so UTF-16 offsets match this string only when the
        /// field is valid UTF-8 (always, for string input).
        /// </summary>
        public string Text { get; private set; }

        internal Field(string name, byte[] bytes)
        {
            Name = name;
            Bytes = bytes;
            Text = System.Text.Encoding.UTF8.GetString(bytes);
        }

        /// <summary>The field's name; never its text.</summary>
        public override string ToString()
        {
            return Name;
        }
    }

    /// <summary>The pick of one unit from mailshield_offsets.</summary>
    internal static class Offsets
    {
        internal static int Start(Native.mailshield_offsets o, OffsetUnit u)
        {
            return Utf8.Length(
                u == OffsetUnit.Utf16 ? o.start_utf16 : o.start);
        }

        internal static int End(Native.mailshield_offsets o, OffsetUnit u)
        {
            return Utf8.Length(
                u == OffsetUnit.Utf16 ? o.end_utf16 : o.end);
        }
    }
}
