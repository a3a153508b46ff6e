// The layout check: every struct of Native.cs has the size and the field
// offsets a C compiler gives the header's struct of the same name, and
// every constant and status has the header's value.
//
// run-tests.sh compiles tests/layout.c against include/mailshield.h and
// passes its output; the internal declarations are reached by reflection.
// Under MAILSHIELD_CI=1 a missing layout file fails the test instead of
// skipping it.

namespace Mailshield.Tests
{
    using System;
    using System.Collections.Generic;
    using System.IO;
    using System.Reflection;
    using System.Runtime.InteropServices;

    internal static class Layout
    {
        private const BindingFlags Any =
            BindingFlags.Public | BindingFlags.NonPublic
            | BindingFlags.Instance | BindingFlags.Static;

        internal static void Check(Harness h, string path)
        {
            if (path == null)
            {
                if (Environment.GetEnvironmentVariable("MAILSHIELD_CI") == "1")
                {
                    h.Fail("no layout file (is a C compiler installed?)");
                }
                else
                {
                    h.Skip("no layout file (needs a C compiler)");
                }
                return;
            }
            Type native = typeof(Engine).Assembly.GetType("Mailshield.Native");
            var fields = new Dictionary<string, int>();
            var seen = new List<string>();
            foreach (string line in File.ReadAllLines(path))
            {
                string[] w = line.Split(' ');
                switch (w[0])
                {
                    case "size":
                        seen.Add(w[1]);
                        Type t = native.GetNestedType(w[1], Any);
                        h.True(t != null, "Native." + w[1] + " exists");
                        if (t != null)
                        {
                            h.Equal(long.Parse(w[2]), (long)Marshal.SizeOf(t),
                                "sizeof " + w[1]);
                        }
                        break;
                    case "offset":
                        Type s = native.GetNestedType(w[1], Any);
                        if (s != null)
                        {
                            h.Equal(long.Parse(w[3]),
                                (long)Marshal.OffsetOf(s, w[2]),
                                "offsetof " + w[1] + "." + w[2]);
                            int n;
                            fields.TryGetValue(w[1], out n);
                            fields[w[1]] = n + 1;
                        }
                        break;
                    case "const":
                        h.Equal(long.Parse(w[2]), Constant(native, w[1]),
                            w[1]);
                        break;
                }
            }

            // No struct or field here that the header lacks.
            foreach (Type t in native.GetNestedTypes(Any))
            {
                if (!t.IsValueType || !t.Name.StartsWith("mailshield_"))
                {
                    continue;
                }
                h.True(seen.Contains(t.Name), t.Name + " is in the header");
                int n;
                fields.TryGetValue(t.Name, out n);
                h.Equal(n, t.GetFields(Any).Length,
                    t.Name + ": fields checked");
            }
        }

        /// <summary>The C# value of a header constant.</summary>
        private static long Constant(Type native, string name)
        {
            const string status = "MAILSHIELD_STATUS_";
            if (name.StartsWith(status))
            {
                // NULL_ARGUMENT is Status.NullArgument.
                string pascal = "";
                foreach (string word in name.Substring(status.Length)
                    .Split('_'))
                {
                    pascal += word.Substring(0, 1)
                        + word.Substring(1).ToLowerInvariant();
                }
                return (long)(int)Enum.Parse(typeof(Status), pascal);
            }
            FieldInfo f = native.GetField(name, Any);
            return f == null ? -1 : Convert.ToInt64(f.GetValue(null));
        }
    }
}
