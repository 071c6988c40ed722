using LddGan.Evaluation;
using LddGan.Interop;
using NUnit.Framework;
using static TorchSharp.torch;

namespace LddGan.Tests.Evaluation.Inception;

/// <summary>The documented user weight file (safetensors with pytorch-fid's keys) drives <c>--features inception</c>.</summary>
[NonParallelizable]
public sealed class InceptionWeightFileTests
{
    [Test]
    public void ASafetensorsWeightFileGivesTheReferenceFeatures()
    {
        var dir = Directory.CreateTempSubdirectory("inception-weights-").FullName;
        try
        {
            string file = Path.Combine(dir, "pt_inception-2015-12-05.safetensors");
            using (var template = new FidInceptionV3())
            {
                var weights = InceptionFormulaWeights.For(template);
                weights["fc.weight"] = zeros(1008, 2048);
                weights["fc.bias"] = zeros(1008);
                SafetensorsFile.Write(file, weights.Select(kv => (kv.Key, kv.Value)));
                foreach (var t in weights.Values) t.Dispose();
            }
            var fixture = InceptionFixture.Load();
            using var extractor = FeatureExtractors.Create("inception", file);
            using var scope = NewDisposeScope();
            var expected = fixture.Tensor("features");
            var features = extractor.Extract(fixture.Tensor("input"));
            double error = (features - expected).abs().max().item<float>() / expected.abs().max().item<float>();
            Assert.That(error, Is.LessThan(1e-4));
            Assert.That(extractor.Fingerprint, Does.StartWith("sha256:"));
            Assert.That(extractor.Dim, Is.EqualTo(2048));

            var none = Assert.Throws<EvaluationException>(() => FeatureExtractors.Create("inception"));
            Assert.That(none!.Message, Does.Contain("--feature-weights"));
            var missing = Assert.Throws<EvaluationException>(() => FeatureExtractors.Create("inception", Path.Combine(dir, "absent.pth")));
            Assert.That(missing!.Message, Does.Contain("absent.pth"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
