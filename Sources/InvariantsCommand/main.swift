print("invariants")
