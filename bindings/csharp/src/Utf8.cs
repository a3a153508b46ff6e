// UTF-8 in and out of the library, by hand (no marshaller strings).
//
// Strings go in as the UTF-8 bytes of Encoding.UTF8, pinned for one call;
// text comes out of views (pointer and length) that point into a handle
// and are copied into managed strings while the handle is alive.
//
// N.B. Encoding.UTF8 turns a lone surrogate into U+FFFD, three bytes that
// the library counts as one UTF-16 unit, as the surrogate was: offsets in
// UTF-16 units still index the caller's own string.

namespace Mailshield
{
    using System;
    using System.Text;

    internal static unsafe class Utf8
    {
        /// <summary>The UTF-8 bytes of <paramref name="s"/>.</summary>
        internal static byte[] Encode(string s)
        {
            return Encoding.UTF8.GetBytes(s);
        }

        /// <summary>
        /// The UTF-8 bytes of <paramref name="s"/> and a NUL, for the
        /// calls that take a C string.
        /// </summary>
        /// <exception cref="ArgumentException">
        /// <paramref name="s"/> holds a NUL, which would cut it short.
        /// </exception>
        internal static byte[] EncodeNulTerminated(string s, string what)
        {
            if (s.IndexOf('\0') >= 0)
            {
                throw new ArgumentException("holds a NUL character", what);
            }
            var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>A NUL-terminated string the library owns.</summary>
        internal static string FromNulTerminated(IntPtr p)
        {
            if (p == IntPtr.Zero)
            {
                return "";
            }
            byte* s = (byte*)p;
            int len = 0;
            while (s[len] != 0)
            {
                len++;
            }
            return Encoding.UTF8.GetString(s, len);
        }

        /// <summary>The text of a view, or null when it is absent.</summary>
        internal static string Text(Native.mailshield_text t)
        {
            if (t.ptr == IntPtr.Zero)
            {
                return null;
            }
            return Encoding.UTF8.GetString((byte*)t.ptr, Length(t.len));
        }

        /// <summary>A copy of the bytes of a view (empty when absent).
        /// </summary>
        internal static byte[] Bytes(Native.mailshield_bytes b)
        {
            var copy = new byte[Length(b.len)];
            if (copy.Length > 0)
            {
                System.Runtime.InteropServices.Marshal.Copy(
                    b.ptr, copy, 0, copy.Length);
            }
            return copy;
        }

        /// <summary>The texts of an array of views.</summary>
        internal static string[] Texts(IntPtr items, UIntPtr count)
        {
            var texts = new string[Length(count)];
            var views = (Native.mailshield_text*)items;
            for (int i = 0; i < texts.Length; i++)
            {
                texts[i] = Text(views[i]);
            }
            return texts;
        }

        /// <summary>A size from the library as an index of .NET arrays and
        /// strings.</summary>
        /// <exception cref="OverflowException">
        /// Over int.MaxValue, which no string or array can reach.
        /// </exception>
        internal static int Length(UIntPtr n)
        {
            return checked((int)n.ToUInt64());
        }
    }
}
