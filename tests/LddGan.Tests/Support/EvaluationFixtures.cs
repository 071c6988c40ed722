using LddGan.Evaluation;
using static TorchSharp.torch;

namespace LddGan.Tests.Support;

/// <summary>What the evaluation tests share: a randomly initialised feature network and a tiny Fashion-MNIST recipe.</summary>
public static class EvaluationFixtures
{
    /// <summary>A feature network with fixed random weights in <paramref name="folder"/> (written once): the metric code, not its values, is under test.</summary>
    public static string RandomFeatureNet(string folder)
    {
        string path = Path.Combine(folder, "feature-net.bin");
        if (File.Exists(path)) return path;
        manual_seed(5);
        using var net = new FeatureNet();
        net.save(path);
        return path;
    }

    /// <summary>The tiny MLP denoiser on the first <paramref name="limit"/> Fashion-MNIST images for <paramref name="maxSteps"/> steps; <paramref name="train"/> adds [train] lines.</summary>
    public static string TinyFashionMnist(int limit, int maxSteps, string train = "") => $"""
        name = "tiny-fmnist"
        seed = 7
        [data]
        type = "fashion-mnist"
        limit = {limit}
        [diffusion]
        type = "vp"
        num_timesteps = 4
        [generator]
        type = "test-tiny"
        [discriminator]
        type = "test-tiny"
        [train]
        batch_size = 8
        num_epochs = 1
        max_steps = {maxSteps}
        ema_decay = 0.9
        log_every = 1
        sample_every = 0
        checkpoint_every = 0
        preview_count = 4
        {train}
        """;
}
