// A small test harness: named tests, exact comparisons, one line per
// failure, and the exit code.
//
// No test framework can be fetched here (no NuGet), and none is needed:
// each test is a method that makes checks; a failed check prints
// "FAIL <test>: <what>: expected <x>, got <y>" and the run goes on, so
// one run shows every failure.

namespace Mailshield.Tests
{
    using System;
    using System.Collections.Generic;

    internal sealed class Harness
    {
        private string test = "";
        private int checks;
        private int failures;
        private int tests;

        internal int Failures
        {
            get { return failures; }
        }

        /// <summary>Runs one test; an exception fails it.</summary>
        internal void Run(string name, Action body)
        {
            test = name;
            tests++;
            int before = failures;
            try
            {
                body();
            }
            catch (Exception e)
            {
                Fail("threw " + e.GetType().Name + ": " + e.Message);
            }
            Console.WriteLine(
                (failures == before ? "ok   " : "FAILED ") + name);
        }

        internal void Summary()
        {
            Console.WriteLine(
                tests + " tests, " + checks + " checks, " + failures
                + " failures");
        }

        internal void Fail(string message)
        {
            failures++;
            Console.WriteLine("FAIL " + test + ": " + message);
        }

        internal void Skip(string why)
        {
            Console.WriteLine("skip " + test + ": " + why);
        }

        internal void True(bool condition, string what)
        {
            checks++;
            if (!condition)
            {
                Fail(what);
            }
        }

        /// <summary>Checks <paramref name="actual"/> against
        /// <paramref name="expected"/> with Equals.</summary>
        internal void Equal<T>(T expected, T actual, string what)
        {
            Same(expected, actual, what);
        }

        /// <summary>
        /// Checks two lists of strings item by item; a failure shows the
        /// first item that differs.
        /// </summary>
        internal void Lists(
            IEnumerable<string> expected, IEnumerable<string> actual,
            string what)
        {
            checks++;
            var want = new List<string>(expected);
            var got = new List<string>(actual);
            for (int i = 0; i < Math.Max(want.Count, got.Count); i++)
            {
                string w = i < want.Count ? want[i] : null;
                string g = i < got.Count ? got[i] : null;
                if (w != g)
                {
                    Fail(what + ": item " + i + " of " + want.Count
                        + ": expected " + Show(w) + ", got " + Show(g)
                        + " (of " + got.Count + ")");
                    return;
                }
            }
        }

        private void Same(object expected, object actual, string what)
        {
            checks++;
            if (!Equals(expected, actual))
            {
                Fail(what + ": expected " + Show(expected) + ", got "
                    + Show(actual));
            }
        }

        private static string Show(object value)
        {
            if (value == null)
            {
                return "null";
            }
            if (value is string)
            {
                return "\"" + ((string)value).Replace("\n", "\\n") + "\"";
            }
            return value.ToString();
        }

        /// <summary>
        /// Checks that <paramref name="body"/> throws a
        /// <typeparamref name="T"/>, and returns it (null if it did not).
        /// </summary>
        internal T Throws<T>(Action body, string what) where T : Exception
        {
            checks++;
            try
            {
                body();
            }
            catch (T e)
            {
                return e;
            }
            catch (Exception e)
            {
                Fail(what + ": expected " + typeof(T).Name + ", got "
                    + e.GetType().Name + ": " + e.Message);
                return null;
            }
            Fail(what + ": expected " + typeof(T).Name + ", got none");
            return null;
        }

        /// <summary>Checks a MailshieldException: its status, and that its
        /// message starts with the C function's name.</summary>
        internal MailshieldException Fails(
            Status status, string function, Action body, string what)
        {
            MailshieldException e = Throws<MailshieldException>(body, what);
            if (e != null)
            {
                Equal(status, e.Status, what + ": status");
                True(e.Message.StartsWith(function + ": "),
                    what + ": message names " + function + ": "
                    + Show(e.Message));
            }
            return e;
        }
    }
}
