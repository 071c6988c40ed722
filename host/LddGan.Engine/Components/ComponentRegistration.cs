using LddGan.Abstractions;

namespace LddGan.Engine.Components;

/// <summary>One factory known to the host, with where it came from (for error messages and <c>lddgan plugins</c>).</summary>
public sealed record ComponentRegistration(
    ComponentKind Kind, string Name, string Description, IComponentFactory Factory, string Source);
