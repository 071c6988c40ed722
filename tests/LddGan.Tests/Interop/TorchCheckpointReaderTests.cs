using System.Text.Json;
using LddGan.Interop;
using NUnit.Framework;
using static LddGan.Tests.Interop.InteropTestFiles;
using static TorchSharp.torch;

namespace LddGan.Tests.Interop;

/// <summary>Normal torch.save files (PyTorch 1.13) read and compared with what Python saw (expected.json).</summary>
public sealed class TorchCheckpointReaderTests
{
    [Test]
    public void StateDictMatchesPythonForEveryDTypeAndLayout()
    {
        var expected = Expected("state_dict");
        var tensors = TorchCheckpointReader.ReadStateDict(Fixture("state_dict.pt"));
        try
        {
            var keys = expected.GetProperty("keys").EnumerateArray().Select(k => k.GetString()).ToArray();
            Assert.That(tensors.Keys, Is.EquivalentTo(keys), "flattened names, module. prefix kept");
            foreach (var property in expected.GetProperty("tensors").EnumerateObject())
                AssertMatches(tensors[property.Name], property.Value, property.Name);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [Test]
    public void ViewsOfOneStorageShareItsMemory()
    {
        var tensors = TorchCheckpointReader.ReadStateDict(Fixture("state_dict.pt"));
        try
        {
            var a = tensors["shared_a"]; // base[0:6].view(2, 3)
            var b = tensors["shared_b"]; // base[4:10], storage offset 4
            Assert.That(b[0].item<float>(), Is.EqualTo(1.0f));
            a[1, 1] = tensor(42f);       // base[4]
            Assert.That(b[0].item<float>(), Is.EqualTo(42f), "writing through one view shows through the other");
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [Test]
    public void DdganContentDictKeepsArgsOptimizerAndSchedulerAsPlainValues()
    {
        var expected = Expected("ddgan_content");
        using var checkpoint = TorchCheckpointReader.Read(Fixture("ddgan_content.pth"));
        var root = (PickleDict)checkpoint.Root;
        Assert.That(root.StringKeys, Is.EqualTo(new[] { "epoch", "global_step", "args", "netG_dict", "optimizerG", "schedulerG", "netD_dict" }));
        Assert.That(((PickleInt)root["epoch"]).Value, Is.EqualTo(expected.GetProperty("epoch").GetInt64()));
        Assert.That(((PickleInt)root["global_step"]).Value, Is.EqualTo(expected.GetProperty("global_step").GetInt64()));

        var args = (PickleDict)root["args"];
        Assert.That(args.ClassName, Is.EqualTo(PickleDict.Namespace));
        var tupleKeys = expected.GetProperty("args_tuple_keys").EnumerateArray().Select(e => e.GetString()).ToHashSet();
        foreach (var property in expected.GetProperty("args").EnumerateObject())
            AssertSameValue(args[property.Name], property.Value, $"args.{property.Name}", tupleKeys.Contains(property.Name));

        var optimizer = (PickleDict)root["optimizerG"];
        var group = (PickleDict)((PickleList)optimizer["param_groups"])[0];
        var expectedOptimizer = expected.GetProperty("optimizerG");
        Assert.Multiple(() =>
        {
            Assert.That(((PickleFloat)group["lr"]).Value, Is.EqualTo(expectedOptimizer.GetProperty("lr").GetDouble()));
            Assert.That(((PickleTuple)group["betas"]).Cast<PickleFloat>().Select(f => f.Value), Is.EqualTo(new[] { 0.5, 0.9 }));
            Assert.That(((PickleList)group["params"]).Cast<PickleInt>().Select(i => i.Value),
                Is.EqualTo(expectedOptimizer.GetProperty("params").EnumerateArray().Select(e => e.GetInt64())));
        });
        var state = (PickleDict)optimizer["state"];
        var state0 = (PickleDict)state.Items.Single(i => i.Key is PickleInt { Value: 0 }).Value;
        Assert.That(((PickleTensor)state0["step"]).Tensor.item<float>(), Is.EqualTo(expectedOptimizer.GetProperty("state0_step").GetDouble()));
        AssertMatches(((PickleTensor)state0["exp_avg"]).Tensor, expectedOptimizer.GetProperty("state0_exp_avg"), "exp_avg");

        var scheduler = (PickleDict)root["schedulerG"];
        var expectedScheduler = expected.GetProperty("schedulerG");
        Assert.Multiple(() =>
        {
            Assert.That(((PickleInt)scheduler["T_max"]).Value, Is.EqualTo(expectedScheduler.GetProperty("T_max").GetInt64()));
            Assert.That(((PickleFloat)scheduler["eta_min"]).Value, Is.EqualTo(expectedScheduler.GetProperty("eta_min").GetDouble()));
            Assert.That(((PickleInt)scheduler["last_epoch"]).Value, Is.EqualTo(expectedScheduler.GetProperty("last_epoch").GetInt64()));
        });

        var generator = (PickleDict)root["netG_dict"];
        Assert.That(generator.ClassName, Is.EqualTo(PickleDict.OrderedDict));
        Assert.That(generator.Attributes?.StringKeys, Is.EqualTo(new[] { "_metadata" }), "state-dict _metadata kept aside");
    }

    [TestCase(null, "netG_dict")]
    [TestCase("netG_dict", "netG_dict")]
    [TestCase("netD_dict", "netD_dict")]
    public void ReadStateDictFindsTheGeneratorOrANamedEntry(string? entry, string expectedSection)
    {
        var expected = Expected("ddgan_content").GetProperty(expectedSection);
        var tensors = TorchCheckpointReader.ReadStateDict(Fixture("ddgan_content.pth"), entry);
        try
        {
            Assert.That(tensors.Keys, Is.EquivalentTo(expected.EnumerateObject().Select(p => p.Name)));
            foreach (var property in expected.EnumerateObject())
                AssertMatches(tensors[property.Name], property.Value, property.Name);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [Test]
    public void ReadStateDictExplainsWhatIsNotAStateDict()
    {
        string path = Fixture("ddgan_content.pth");
        Assert.Multiple(() =>
        {
            Assert.That(() => TorchCheckpointReader.ReadStateDict(path, "optimizerG"),
                Throws.TypeOf<InteropFormatException>().With.Message.Contains("entry 'optimizerG' is not a state dict").And.Message.Contains("a key of type int under 'state'"));
            Assert.That(() => TorchCheckpointReader.ReadStateDict(path, "netE_dict"),
                Throws.TypeOf<InteropFormatException>().With.Message.Contains("no entry 'netE_dict'").And.Message.Contains("netD_dict"));
        });
    }

    [Test]
    public void LegacyFormatIsDetectedWithConversionAdvice()
    {
        string path = Fixture("legacy_format.pt");
        Assert.That(() => TorchCheckpointReader.Read(path),
            Throws.TypeOf<InteropFormatException>().With.Message.StartsWith(path)
                .And.Message.Contains("legacy (pre-1.6, non-zip) torch.save format")
                .And.Message.Contains("torch.save(torch.load("));
    }

    private static void AssertSameValue(PickleValue actual, JsonElement expected, string name, bool isTuple)
    {
        switch (expected.ValueKind)
        {
            case JsonValueKind.Array:
                IReadOnlyList<PickleValue> items = isTuple ? (PickleTuple)actual : (PickleList)actual;
                Assert.That(items.Count, Is.EqualTo(expected.GetArrayLength()), name);
                int i = 0;
                foreach (var item in expected.EnumerateArray()) AssertSameValue(items[i], item, $"{name}[{i++}]", false);
                break;
            case JsonValueKind.String: Assert.That(((PickleString)actual).Value, Is.EqualTo(expected.GetString()), name); break;
            case JsonValueKind.True or JsonValueKind.False: Assert.That(((PickleBool)actual).Value, Is.EqualTo(expected.GetBoolean()), name); break;
            case JsonValueKind.Null: Assert.That(actual, Is.SameAs(PickleNone.Instance), name); break;
            case JsonValueKind.Number when actual is PickleInt n: Assert.That(n.Value, Is.EqualTo(expected.GetInt64()), name); break;
            case JsonValueKind.Number: Assert.That(((PickleFloat)actual).Value, Is.EqualTo(expected.GetDouble()), name); break;
            default: Assert.Fail($"{name}: unexpected JSON {expected.ValueKind}"); break;
        }
    }
}
