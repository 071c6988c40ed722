using TorchSharp;
Console.WriteLine($"libtorch {torch.__version__}; randn sum {torch.randn(3).sum().item<float>()}");
