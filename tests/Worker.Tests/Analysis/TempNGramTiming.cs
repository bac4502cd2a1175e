using System.Text;
using RnnSweep.Shared.Domain;
using RnnSweep.Worker.Analysis;
using Xunit.Abstractions;

namespace RnnSweep.Worker.Tests.Analysis;

public class TempNGramTiming(ITestOutputHelper output)
{
    [Fact]
    public void Timing()
    {
        foreach (var file in new[] { "/work/shared/data/tinyshakespeare.txt", "generated" })
        {
            byte[] utf8;
            if (file == "generated")
            {
                var r = new Random(1);
                var words = Enumerable.Range(0, 3000).Select(_ => new string(Enumerable.Range(0, 1 + r.Next(9)).Select(_ => (char)('a' + (int)(26 * Math.Pow(r.NextDouble(), 2)))).ToArray())).ToArray();
                var sb = new StringBuilder();
                while (sb.Length < 1_100_000) { sb.Append(words[(int)(3000 * Math.Pow(r.NextDouble(), 3))]); sb.Append(r.Next(12) == 0 ? ".\n" : r.Next(8) == 0 ? ", " : " "); }
                utf8 = Encoding.UTF8.GetBytes(sb.ToString(0, 1_100_000));
            }
            else utf8 = File.ReadAllBytes(file);
            var vocabulary = Vocabulary.Build(utf8, "chars");
            var text = vocabulary.Encode(utf8);
            var trainLength = text.Length * 9 / 10;
            var report = NGramModel.Run(text.Slice(0, trainLength), text.Slice(trainLength, text.Length - trainLength), vocabulary.Size, 20);
            output.WriteLine($"{file}: len {text.Length} V {vocabulary.Size} train {report.TrainSeconds:F2}s eval {report.EvaluateSeconds:F2}s bytes {report.EstimatedBytes >> 20} MiB order {report.ComputedOrder} peak ws {Environment.WorkingSet >> 20} MiB");
            output.WriteLine(string.Join(" ", report.Losses.Select(l => $"{l.Order}:{l.CrossEntropy:F3}")));
        }
    }
}
