// The 25-Gaussians toy from its TOML recipe, trained from a script and evaluated (mode coverage).
//   lddgan run recipes/25-gaussians.csx -- --epochs=8
var recipe = LoadRecipe("25-gaussians.toml");
recipe = recipe with { Train = recipe.Train with { NumEpochs = Argument("epochs", recipe.Train.NumEpochs) } };
var result = Train(recipe, runDirectory: Argument("out", "runs/25-gaussians-csx"));
var report = Evaluate(result.RunDirectory);
Log($"mode coverage: {report}");
report.ModesCovered
