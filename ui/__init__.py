"""Qt screens. Thin: they show the core's state and pass the user's commands to it."""
