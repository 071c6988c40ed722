using LddGan.Abstractions;

namespace LddGan.Engine.Data;

[Component(ComponentKind.Dataset, "25-gaussians",
    Description = "2-D toy: 25 Gaussians on the grid {-2..2}^2 (std 0.05), times scale (default 0.5: into [-1, 1]); mode-coverage benchmark.")]
public sealed class TwentyFiveGaussiansFactory : ComponentFactory<TwentyFiveGaussiansOptions, TwentyFiveGaussiansDataset>
{
    public override TwentyFiveGaussiansDataset Create(TwentyFiveGaussiansOptions options, ComponentContext context) => new(options);
}
