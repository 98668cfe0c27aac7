//! Checkpoints as C2SP signed notes (being written).
