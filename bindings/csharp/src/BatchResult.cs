// Batches: many buffers scanned in one call, in parallel inside the
// library, with the results in input order.
//
// The results belong to the batch: each ScanResult of a BatchResult
// borrows its result from the batch's memory. Disposing the batch
// disposes every result taken from it; the native batch is freed once
// the batch and all of those are released, so a result in use on another
// thread is never freed under it.

namespace Mailshield
{
    using System;
    using System.Collections;
    using System.Collections.Generic;

    /// <summary>The results of <see cref="Engine.ScanBatch(
    /// IEnumerable{string})"/>, one per input, in order.</summary>
    public sealed class BatchResult : IReadOnlyList<ScanResult>, IDisposable
    {
        private readonly BatchHandle handle;
        private readonly OffsetUnit unit;
        private readonly ScanResult[] items;

        internal BatchResult(BatchHandle handle, OffsetUnit unit)
        {
            this.handle = handle;
            this.unit = unit;
            UIntPtr count;
            MailshieldException.Check(
                Native.mailshield_batch_len(handle, out count));
            items = new ScanResult[Utf8.Length(count)];
        }

        /// <summary>The number of results.</summary>
        public int Count
        {
            get { Live(); return items.Length; }
        }

        /// <summary>The result of the <paramref name="index"/>-th input.
        /// </summary>
        /// <remarks>
        /// The same object each time, unless it was disposed: then a new
        /// one over the same result.
        /// </remarks>
        public ScanResult this[int index]
        {
            get
            {
                Live();
                if (index < 0 || index >= items.Length)
                {
                    throw new ArgumentOutOfRangeException("index");
                }
                lock (items)
                {
                    ScanResult r = items[index];
                    if (r == null || r.IsDisposed)
                    {
                        r = new ScanResult(
                            BatchItemHandle.Get(handle, index), unit);
                        items[index] = r;
                    }
                    return r;
                }
            }
        }

        /// <summary>The results in input order.</summary>
        public IEnumerator<ScanResult> GetEnumerator()
        {
            for (int i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator()
        {
            return GetEnumerator();
        }

        /// <summary>Disposes every result taken from the batch, then the
        /// batch; safe to call more than once.</summary>
        public void Dispose()
        {
            lock (items)
            {
                foreach (ScanResult r in items)
                {
                    if (r != null)
                    {
                        r.Dispose();
                    }
                }
            }
            handle.Dispose();
        }

        private void Live()
        {
            if (handle.IsClosed)
            {
                throw new ObjectDisposedException("BatchResult");
            }
        }
    }
}
