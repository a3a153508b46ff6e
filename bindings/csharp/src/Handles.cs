// SafeHandle subclasses, one per handle type of the C ABI.
//
// Each owns one native pointer and frees it with the matching _free
// function, exactly once, whether the owner is disposed or finalized. The
// marshaller adds a reference to a handle for the length of every call
// that takes it, so disposing on one thread while another thread is
// inside a call defers the free until that call returns.
//
// The results of a batch are the one case of a handle that does not own
// its pointer: they belong to the batch. A BatchItemHandle holds a
// reference on its batch's handle instead, so the batch is freed only
// after its last item handle is released.

namespace Mailshield
{
    using System;
    using Microsoft.Win32.SafeHandles;

    internal sealed class EngineHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        // Called by the marshaller for out parameters.
        private EngineHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            Native.mailshield_engine_free(handle);
            return true;
        }
    }

    internal sealed class KeySetHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        // N.B. Never valid and never released: it stands for the null key
        // set that mailshield_protect accepts.
        internal static readonly KeySetHandle None = new KeySetHandle();

        private KeySetHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            Native.mailshield_keyset_free(handle);
            return true;
        }
    }

    internal sealed class BufferHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private BufferHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            Native.mailshield_buffer_free(handle);
            return true;
        }
    }

    internal sealed class StreamHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private StreamHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            Native.mailshield_stream_free(handle);
            return true;
        }
    }

    internal sealed class BatchHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private BatchHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            Native.mailshield_batch_free(handle);
            return true;
        }
    }

    /// <summary>A result, owned or borrowed from a batch.</summary>
    internal abstract class ResultHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        protected ResultHandle() : base(true) { }
    }

    /// <summary>
    /// A result of mailshield_scan, _protect or _stream_finish, freed with
    /// mailshield_result_free.
    /// </summary>
    internal sealed class OwnedResultHandle : ResultHandle
    {
        private OwnedResultHandle() { }

        protected override bool ReleaseHandle()
        {
            Native.mailshield_result_free(handle);
            return true;
        }
    }

    /// <summary>
    /// A result inside a batch: never freed on its own, it keeps the
    /// batch alive until it is released.
    /// </summary>
    internal sealed class BatchItemHandle : ResultHandle
    {
        private readonly BatchHandle batch;

        /// <summary>
        /// The <paramref name="index"/>-th result of <paramref name="batch"/>.
        /// </summary>
        /// <exception cref="ObjectDisposedException">
        /// The batch is disposed.
        /// </exception>
        internal static BatchItemHandle Get(BatchHandle batch, int index)
        {
            IntPtr ptr;
            MailshieldException.Check(
                Native.mailshield_batch_get(batch, (UIntPtr)index, out ptr));
            return new BatchItemHandle(batch, ptr);
        }

        private BatchItemHandle(BatchHandle batch, IntPtr ptr)
        {
            // N.B. If the batch was disposed since the call above, this
            // throws before the pointer is kept: the handle stays invalid
            // and ReleaseHandle never runs, so nothing is released twice.
            bool added = false;
            batch.DangerousAddRef(ref added);
            this.batch = batch;
            SetHandle(ptr);
        }

        protected override bool ReleaseHandle()
        {
            batch.DangerousRelease();
            return true;
        }
    }
}
