// Small value types of the API: levels, input kinds, ciphers and the unit
// of offsets.

namespace Mailshield
{
    /// <summary>
    /// How sensitive a message is, from public to restricted; the values
    /// are the ABI's (0 to 3).
    /// </summary>
    public enum Level
    {
        /// <summary><c>public</c>, the lowest: never sealed.</summary>
        Public = 0,
        /// <summary><c>internal</c>.</summary>
        Internal = 1,
        /// <summary><c>confidential</c>.</summary>
        Confidential = 2,
        /// <summary><c>restricted</c>, the highest.</summary>
        Restricted = 3,
    }

    /// <summary>How the library reads a buffer of bytes.</summary>
    public enum InputKind : uint
    {
        /// <summary>Plain text: one field, <c>body</c>.</summary>
        Text = Native.MAILSHIELD_INPUT_TEXT,
        /// <summary>
        /// A raw RFC 5322 message, decoded into fields (<c>from</c>,
        /// <c>to</c>, <c>subject</c>, <c>body</c>...) as the command line
        /// decodes a message file.
        /// </summary>
        Message = Native.MAILSHIELD_INPUT_MESSAGE,
    }

    /// <summary>How a protected body is sealed.</summary>
    public enum Cipher : uint
    {
        /// <summary>An <c>ms1:</c> AES-256-GCM envelope bound to the
        /// message id (the default).</summary>
        Aes256Gcm = Native.MAILSHIELD_CIPHER_AES_256_GCM,
        /// <summary>A Fernet token, readable by Python's
        /// <c>cryptography</c>; needs a Fernet key and binds no id.
        /// </summary>
        Fernet = Native.MAILSHIELD_CIPHER_FERNET,
        /// <summary>No seal: the redacted body in clear.</summary>
        None = Native.MAILSHIELD_CIPHER_NONE,
    }

    /// <summary>What the offsets of a result count.</summary>
    public enum OffsetUnit
    {
        /// <summary>
        /// UTF-16 code units: indexes of the <c>string</c> that was
        /// scanned, for <c>Substring</c>.
        /// </summary>
        Utf16,
        /// <summary>
        /// Bytes of the field's UTF-8 text, for input given as bytes.
        /// </summary>
        Bytes,
    }
}
