using LddGan.Abstractions;

namespace LddGan.Engine.Components;

/// <summary>A component chosen by name, with its options record.</summary>
public sealed record ComponentSpec(ComponentKind Kind, string Type, object Options);
