import Engine
import RunFormat

/// The figures of a study: the `clens plot` command lines that draw them into the study's
/// `figures/` folder (PNG and PDF), with the caption the report gives each.
struct StudyFigures {
  let configuration: StudyConfiguration
  let layout: StudyLayout
  let threads: Int

  /// The name figures and tables use for a method.
  static func displayName(_ method: String) -> String {
    [
      "simclr": "SimCLR", "supcon": "SupCon", "moco": "MoCo v2", "moco-ft": "MoCo v2 + FT", "selfcon": "SelfCon",
      "fnc": "SimCLR + FNC", "ce": "CE-tuning", "core": "Core-tuning",
    ][method] ?? method
  }

  /// Each figure: where it goes (relative to the study folder), its caption, and the
  /// command that draws it (none for a figure an earlier command draws beside its own).
  var figures: [(figure: StudyReport.Figure, command: [String]?)] {
    let pretrained = configuration.methods.map(layout.pretraining)
    let pretrainedNames = configuration.methods.map(Self.displayName).joined(separator: ",")
    let tuned = StudyPlan.fineTuningMethods.map(layout.fineTuning)
    let tunedNames = StudyPlan.fineTuningMethods.map(Self.displayName).joined(separator: ",")
    let all = pretrained + tuned
    let allNames = pretrainedNames + "," + tunedNames
    func entry(_ name: String, _ caption: String, _ command: [String]) -> (StudyReport.Figure, [String]?) {
      (
        StudyReport.Figure(file: "figures/" + name, caption: caption),
        command + ["--out", layout.path("figures/" + name), "--format", "png,pdf", "--threads", String(threads)]
      )
    }
    return [
      entry(
        "tsne-finetuned",
        "t-SNE of the test features of the two fine-tuned models (the last snapshot), colours shared by class.",
        ["plot", "tsne"] + tuned + ["--names", tunedNames]),
      entry(
        "align-uniform",
        "Alignment and uniformity (Wang & Isola) of every run's test features: cosine-similarity distributions of all pairs and of same-class pairs, and the distances of positive pairs.",
        ["plot", "align-uniform"] + all + ["--names", allNames, "--column", "double"]),
      (
        StudyReport.Figure(
          file: "figures/align-uniform-plane",
          caption: "Every run on the alignment-uniformity plane (lower is better on both axes)."),
        nil
      ),
      entry(
        "scores",
        "Positive and negative cosine scores over pre-training: positive mean, negative mean and the negatives' variance per anchor (the Feature Transformation paper's figure).",
        ["plot", "scores", "--overlay"] + pretrained + ["--names", pretrainedNames]),
      entry(
        "robustness",
        "PGD robust accuracy of the two fine-tuned models (their best-validation checkpoints) against l-infinity and l2 perturbations, the paper's eps grid.",
        ["plot", "robustness"] + tuned + ["--names", tunedNames]),
      entry(
        "pretraining", "Pre-training curves: loss, contrastive accuracy and learning rate.",
        ["plot", "training"] + pretrained + ["--names", pretrainedNames]),
      entry(
        "finetuning", "Fine-tuning curves: loss, accuracy and learning rate.",
        ["plot", "training"] + tuned + ["--names", tunedNames]),
    ]
  }
}
