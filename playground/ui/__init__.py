"""Gradio layer: lays out components and calls the task functions in `playground/`."""
