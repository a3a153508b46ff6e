// The C ABI of include/mailshield.h, declared once, as the header has it.
//
// Nothing outside this assembly sees these declarations; the public types
// (Engine, KeySet, ScanResult...) wrap them. The structs mirror the
// header's names and layout field for field, so that a drift between the
// two is easy to see and is caught by the test program, which compares
// each size and offset with what a C compiler reports for the header.
//
// Mapping: size_t is UIntPtr, bool is byte, every pointer is IntPtr (or a
// byte pointer for buffers the caller pins), mailshield_status is Status.
// Handles travel as SafeHandle subclasses (Handles.cs), so that the
// marshaller keeps a handle alive for the length of each call; _free
// functions take a raw IntPtr because only ReleaseHandle calls them.

namespace Mailshield
{
    using System;
    using System.Runtime.InteropServices;

    internal static unsafe class Native
    {
        // Resolved by Mono to libmailshield.so on the library path
        // (LD_LIBRARY_PATH, or a dllmap in Mailshield.dll.config).
        private const string Lib = "mailshield";
        private const CallingConvention C = CallingConvention.Cdecl;

        internal const uint MAILSHIELD_INPUT_TEXT = 0;
        internal const uint MAILSHIELD_INPUT_MESSAGE = 1;
        internal const uint MAILSHIELD_CIPHER_AES_256_GCM = 0;
        internal const uint MAILSHIELD_CIPHER_FERNET = 1;
        internal const uint MAILSHIELD_CIPHER_NONE = 2;

        [StructLayout(LayoutKind.Sequential)]
        internal struct mailshield_bytes
        {
            public IntPtr ptr;
            public UIntPtr len;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct mailshield_text
        {
            public IntPtr ptr;
            public UIntPtr len;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct mailshield_protect_options
        {
            public uint cipher;
            public mailshield_bytes message_id;
            public byte use_level;
            public int level;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct mailshield_summary
        {
            public int level;
            public mailshield_text classification;
            public double confidence;
            public byte complete;
            public mailshield_text id;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct mailshield_offsets
        {
            public UIntPtr start;
            public UIntPtr end;
            public UIntPtr start_char;
            public UIntPtr end_char;
            public UIntPtr start_utf16;
            public UIntPtr end_utf16;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct mailshield_finding
        {
            public mailshield_text entity_type;
            public uint entity;
            public uint field;
            public mailshield_offsets span;
            public double score;
            public byte validated;
            public mailshield_text masked;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct mailshield_keyword
        {
            public mailshield_text keyword;
            public uint field;
            public mailshield_offsets span;
            public byte in_footer;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct mailshield_field
        {
            public mailshield_text name;
            public mailshield_bytes text;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct mailshield_protected
        {
            public mailshield_bytes body;
            public mailshield_text @sealed;
            public mailshield_bytes subject;
            public IntPtr log;
            public UIntPtr log_len;
        }

        // Errors and version.

        [DllImport(Lib, CallingConvention = C)]
        internal static extern IntPtr mailshield_last_error();

        [DllImport(Lib, CallingConvention = C)]
        internal static extern IntPtr mailshield_version();

        // Engines.

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_engine_new(
            byte* pack, out EngineHandle out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_engine_from_toml(
            byte* toml, UIntPtr len, out EngineHandle out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_engine_entities(
            EngineHandle engine, out IntPtr items, out UIntPtr count);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern void mailshield_engine_free(IntPtr engine);

        // Key sets and buffers.

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_keyset_generate(
            out KeySetHandle out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_keyset_from_fernet_key(
            byte* key, UIntPtr len, out KeySetHandle out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_keyset_load(
            byte* path, out KeySetHandle out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern void mailshield_keyset_free(IntPtr keys);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_encrypt(
            KeySetHandle keys, byte* data, UIntPtr len, uint cipher,
            byte* message_id, UIntPtr id_len, out BufferHandle out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_decrypt(
            KeySetHandle keys, byte* @sealed, UIntPtr len,
            byte* message_id, UIntPtr id_len, out BufferHandle out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_buffer_data(
            BufferHandle buffer, out mailshield_bytes out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern void mailshield_buffer_free(IntPtr buffer);

        // Scanning and protecting one buffer.

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_scan(
            EngineHandle engine, byte* data, UIntPtr len, uint input_kind,
            out OwnedResultHandle out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_protect(
            EngineHandle engine, KeySetHandle keys, byte* data,
            UIntPtr len, uint input_kind,
            mailshield_protect_options* options,
            out OwnedResultHandle out_);

        // Results.

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_result_summary(
            ResultHandle result, out mailshield_summary out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_result_findings(
            ResultHandle result, out IntPtr items, out UIntPtr count);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_result_keywords(
            ResultHandle result, out IntPtr items, out UIntPtr count);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_result_fields(
            ResultHandle result, out IntPtr items, out UIntPtr count);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_result_risk_factors(
            ResultHandle result, out IntPtr items, out UIntPtr count);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_result_recommended_actions(
            ResultHandle result, out IntPtr items, out UIntPtr count);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_result_warnings(
            ResultHandle result, out IntPtr items, out UIntPtr count);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_result_errors(
            ResultHandle result, out IntPtr items, out UIntPtr count);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_result_json(
            ResultHandle result, out mailshield_text out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_result_protected(
            ResultHandle result, out mailshield_protected out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern void mailshield_result_free(IntPtr result);

        // Batches.

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_scan_batch(
            EngineHandle engine, mailshield_bytes* inputs, UIntPtr count,
            uint input_kind, out BatchHandle out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_batch_len(
            BatchHandle batch, out UIntPtr count);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_batch_get(
            BatchHandle batch, UIntPtr index, out IntPtr out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern void mailshield_batch_free(IntPtr batch);

        // Streams.

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_stream_new(
            EngineHandle engine, out StreamHandle out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_stream_feed(
            StreamHandle stream, byte* data, UIntPtr len);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern Status mailshield_stream_finish(
            StreamHandle stream, out OwnedResultHandle out_);

        [DllImport(Lib, CallingConvention = C)]
        internal static extern void mailshield_stream_free(IntPtr stream);
    }
}
