import GyreModel

extension ConfigNode {
    /// A step's `when:` (`always`, `on_success`, `on_fail`); reports anything else.
    func stepCondition() -> StepCondition? {
        guard let text = string() else { return nil }
        guard let condition = StepCondition(rawValue: text) else {
            diagnostics.invalid(path, "unknown when \"\(text)\"; expected always, on_success or on_fail")
            return nil
        }
        return condition
    }
}
