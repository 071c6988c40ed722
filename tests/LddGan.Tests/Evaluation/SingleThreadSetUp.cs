using NUnit.Framework;
using LddGan.Tests.Support;

namespace LddGan.Tests.Evaluation;

/// <summary>This namespace's tests run single-threaded (tiny tensors; see <see cref="SingleThreadFixture"/>).</summary>
[SetUpFixture]
public sealed class SingleThreadSetUp : SingleThreadFixture;
