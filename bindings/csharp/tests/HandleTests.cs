// Handles: batches and streams give what single scans give; disposal is
// idempotent and use after it throws; results outlive their engine; one
// engine serves several threads, each reading its own errors.

namespace Mailshield.Tests
{
    using System;
    using System.Collections.Generic;
    using System.IO;
    using System.Text;
    using System.Threading;
    using static Mailshield.Tests.Sample;

    internal static class HandleTests
    {
        /// <summary>Runs every test of this file.</summary>
        internal static void Run(Harness h, Engine engine, string root)
        {
            h.Run("batch", () => Batch(h, engine, root));
            h.Run("stream", () => Stream(h, engine));
            h.Run("dispose", () => Dispose(h));
            h.Run("threads", () => Threads(h, engine));
        }

        private static void Batch(Harness h, Engine engine, string root)
        {
            string dir = Path.Combine(root, "tests/data/parity");
            string[] texts = {
                Parity.ReadText(Path.Combine(dir, "plain.txt")),
                Parity.ReadText(Path.Combine(dir, "emoji.txt")),
                "nothing here",
                "",
            };
            ScanResult first;
            using (BatchResult batch = engine.ScanBatch(texts))
            {
                h.Equal(texts.Length, batch.Count, "count");
                for (int i = 0; i < texts.Length; i++)
                {
                    using (ScanResult one = engine.Scan(texts[i]))
                    {
                        h.Lists(Lines(one), Lines(batch[i]),
                            "result " + i + " is that of Scan");
                    }
                    h.Equal("-#" + i, batch[i].Id, "id " + i);
                    h.Equal(OffsetUnit.Utf16, batch[i].Unit, "unit " + i);
                }
                h.True(ReferenceEquals(batch[0], batch[0]), "same object");
                first = batch[0];
                first.Dispose();
                h.Equal(4, batch[0].Findings.Count,
                    "a disposed item is taken again");
                first = batch[1];
                int n = 0;
                foreach (ScanResult r in batch)
                {
                    n++;
                }
                h.Equal(texts.Length, n, "enumerated");
            }
            h.Throws<ObjectDisposedException>(
                () => { var x = first.Findings; }, "an item after the batch");

            // Raw messages as bytes: byte offsets, the Message-ID as id.
            byte[] raw = File.ReadAllBytes(Path.Combine(dir, "message.eml"));
            var buffers = new List<byte[]> { raw, new byte[0] };
            using (BatchResult batch = engine.ScanBatch(
                buffers, InputKind.Message))
            {
                h.Equal(2, batch.Count, "messages: count");
                h.Equal("parity-1@example.com", batch[0].Id, "messages: id");
                h.Equal(OffsetUnit.Bytes, batch[0].Unit, "messages: unit");
                h.Equal(5, batch[0].Findings.Count, "messages: findings");
                h.Equal("-#1", batch[1].Id, "messages: id of the empty one");
            }
            using (BatchResult empty = engine.ScanBatch(new string[0]))
            {
                h.Equal(0, empty.Count, "an empty batch");
            }
        }

        private static void Stream(Harness h, Engine engine)
        {
            // Non-BMP text long enough to cross the stream's window, with
            // values every few hundred characters.
            var text = new StringBuilder();
            for (int i = 0; i < 300; i++)
            {
                text.Append("\U0001F600 line ").Append(i)
                    .Append(" mail u").Append(i).Append("@example.com, ")
                    .Append("card 4111 1111 1111 1111, ")
                    .Append(new string('x', i % 17)).Append("\u00e9\n");
            }
            string s = text.ToString();
            List<string> whole;
            using (ScanResult r = engine.Scan(s))
            {
                whole = Lines(r);
            }
            h.Equal(600, whole.Count, "findings of the whole");
            foreach (int size in new[] { 1, 2, 3, 7, 64, 1000 })
            {
                using (var stream = new StreamScanner(engine))
                {
                    for (int at = 0; at < s.Length; at += size)
                    {
                        stream.Feed(s.Substring(
                            at, Math.Min(size, s.Length - at)));
                    }
                    using (ScanResult r = stream.Finish())
                    {
                        h.Lists(whole, Lines(r),
                            "strings in pieces of " + size);
                        h.Equal(OffsetUnit.Utf16, r.Unit, "string unit");
                        h.Equal(0, r.Fields[0].Bytes.Length,
                            "a stream keeps no text");
                    }
                }
            }

            byte[] bytes = Encoding.UTF8.GetBytes(s);
            List<string> wholeBytes;
            using (ScanResult r = engine.Scan(bytes, InputKind.Text))
            {
                wholeBytes = Lines(r);
            }
            foreach (int size in new[] { 1, 5, 4096 })
            {
                using (var stream = new StreamScanner(engine))
                {
                    for (int at = 0; at < bytes.Length; at += size)
                    {
                        stream.Feed(bytes, at,
                            Math.Min(size, bytes.Length - at));
                    }
                    using (ScanResult r = stream.Finish())
                    {
                        h.Lists(wholeBytes, Lines(r),
                            "bytes in pieces of " + size);
                        h.Equal(OffsetUnit.Bytes, r.Unit, "byte unit");
                    }
                }
            }

            using (var stream = new StreamScanner(engine))
            {
                stream.Feed("a@example.com");
                h.Throws<InvalidOperationException>(
                    () => stream.Feed(new byte[] { 0x41 }),
                    "bytes after strings");
                stream.Finish().Dispose();
                h.Fails(Status.State, "mailshield_stream_feed",
                    () => stream.Feed("more"), "feed after finish");
                h.Fails(Status.State, "mailshield_stream_finish",
                    () => stream.Finish(), "finish twice");
            }
        }

        private static void Dispose(Harness h)
        {
            var engine = new Engine();
            var keys = KeySet.Generate();
            ScanResult scan = engine.Scan(CardAndMail);
            ProtectResult prot = engine.Protect(CardAndMail, keys);
            BatchResult batch = engine.ScanBatch(new[] { CardAndMail });
            ScanResult item = batch[0];
            var stream = new StreamScanner(engine);

            // Results and streams outlive their engine.
            engine.Dispose();
            h.Equal(2, scan.Findings.Count, "a result after its engine");
            h.Equal(2, item.Findings.Count, "a batch after its engine");
            stream.Feed(CardAndMail);
            using (ScanResult r = stream.Finish())
            {
                h.Equal(2, r.Findings.Count, "a stream after its engine");
            }

            var all = new IDisposable[] {
                engine, keys, scan, prot, item, batch, stream,
            };
            foreach (IDisposable d in all)
            {
                d.Dispose();
                d.Dispose();
            }
            h.Throws<ObjectDisposedException>(
                () => engine.Scan("x"), "engine");
            h.Throws<ObjectDisposedException>(
                () => keys.Decrypt("x"), "key set");
            h.Throws<ObjectDisposedException>(
                () => { var x = scan.Findings; }, "result findings");
            h.Throws<ObjectDisposedException>(
                () => { var x = scan.Id; }, "result id");
            h.Throws<ObjectDisposedException>(
                () => { var x = prot.Body; }, "protected body");
            h.Throws<ObjectDisposedException>(
                () => { var x = item.Json; }, "batch item");
            h.Throws<ObjectDisposedException>(
                () => { var x = batch[0]; }, "batch");
            h.Throws<ObjectDisposedException>(
                () => stream.Feed("x"), "stream");
        }

        private static void Threads(Harness h, Engine engine)
        {
            // One engine, four threads; each thread's errors are its own.
            List<string> want;
            using (ScanResult r = engine.Scan(CardAndMail))
            {
                want = Lines(r);
            }
            var wrong = new int[4];
            var messages = new string[4];
            var threads = new Thread[4];
            for (int t = 0; t < threads.Length; t++)
            {
                int me = t;
                threads[t] = new Thread(() =>
                {
                    for (int i = 0; i < 25; i++)
                    {
                        using (ScanResult r = engine.Scan(CardAndMail))
                        {
                            if (string.Join("|", Lines(r))
                                != string.Join("|", want))
                            {
                                wrong[me]++;
                            }
                        }
                        try
                        {
                            new Engine("pack-" + me);
                        }
                        catch (MailshieldException e)
                        {
                            messages[me] = e.Message;
                        }
                    }
                });
                threads[t].Start();
            }
            foreach (Thread t in threads)
            {
                t.Join();
            }
            for (int t = 0; t < threads.Length; t++)
            {
                h.Equal(0, wrong[t], "thread " + t + ": wrong results");
                h.True(messages[t] != null
                        && messages[t].Contains("pack-" + t),
                    "thread " + t + " reads its own error: " + messages[t]);
            }
        }
    }
}
