/// Legend names of classes must cover every label drawn: a legend that falls back to
/// numbers for some classes would silently mislabel a figure.
func checkClassNames(_ names: [String]?, covering labels: Set<Int>) throws(PlotError) {
  guard let names, let largest = labels.max(), largest >= names.count else { return }
  throw PlotError(
    "\(names.count) class name(s) for labels up to \(largest): give one name per class, in label order")
}
