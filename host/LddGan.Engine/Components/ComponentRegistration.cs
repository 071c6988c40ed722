using LddGan.Abstractions;

namespace LddGan.Engine.Components;

/// <summary>
/// One factory known to the host: its kind, name and version, and where it came from (for error messages,
/// <c>lddgan plugins</c> and run provenance).
/// </summary>
public sealed record ComponentRegistration(
    ComponentKind Kind, string Name, string Description, IComponentFactory Factory, string Source, string Version = "");
