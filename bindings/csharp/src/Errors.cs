// Errors: the status codes of the C ABI and the exception that carries
// them.
//
// Every failing native call leaves a message in the calling thread's last
// error (mailshield_last_error). The binding reads it on the same thread
// right after the call, before any other native call can replace it, and
// throws a MailshieldException with the status and that message. The
// library's messages name the call and the argument at fault, never a
// value from the input or a key.
//
// Misuse of the managed objects is reported the .NET way instead:
// ObjectDisposedException after Dispose, ArgumentNullException for a null
// argument, InvalidOperationException for a call in the wrong order.

namespace Mailshield
{
    using System;
    using System.Runtime.InteropServices;

    /// <summary>What a native call did (mailshield_status).</summary>
    public enum Status
    {
        /// <summary>Success.</summary>
        Ok = 0,
        /// <summary>A required pointer was null.</summary>
        NullArgument = 1,
        /// <summary>
        /// An argument is out of range: an unknown input kind, cipher or
        /// level, an index past the end, text that must be UTF-8 and is
        /// not.
        /// </summary>
        InvalidArgument = 2,
        /// <summary>A rule pack could not be found, parsed or compiled.
        /// </summary>
        Rules = 3,
        /// <summary>
        /// A key could not be read or does not fit the cipher, or a key
        /// is needed and none was given.
        /// </summary>
        Key = 4,
        /// <summary>
        /// Sealing failed, or a sealed value did not open: the wrong key
        /// or message id, or a damaged token or envelope.
        /// </summary>
        Crypto = 5,
        /// <summary>
        /// A handle in the wrong state: a finished stream, a result
        /// without a protected copy, a pack that cannot stream.
        /// </summary>
        State = 6,
        /// <summary>A bug inside mailshield (a caught panic).</summary>
        Internal = 7,
    }

    /// <summary>
    /// A call into the mailshield library failed; <see cref="Status"/>
    /// says how and <see cref="Exception.Message"/> is the library's
    /// message, which starts with the name of the C function.
    /// </summary>
    public class MailshieldException : Exception
    {
        /// <summary>The status the library returned.</summary>
        public Status Status { get; private set; }

        /// <summary>An exception with a status and a message.</summary>
        public MailshieldException(Status status, string message)
            : base(message)
        {
            Status = status;
        }

        /// <summary>Throws unless <paramref name="status"/> is Ok.</summary>
        /// <remarks>
        /// Call it directly on the status of the native call, so that the
        /// thread's last error is still that call's.
        /// </remarks>
        internal static void Check(Status status)
        {
            if (status != Status.Ok)
            {
                throw Last(status);
            }
        }

        /// <summary>The exception for a failed call, with the thread's last
        /// error as its message.</summary>
        internal static unsafe MailshieldException Last(Status status)
        {
            string message = Utf8.FromNulTerminated(
                Native.mailshield_last_error());
            if (message.Length == 0)
            {
                message = "mailshield: status " + status
                    + " without a message";
            }
            return new MailshieldException(status, message);
        }
    }
}
