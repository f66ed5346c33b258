"""The story model, the project file store and the runner: pure Python, never Qt.

``model`` holds the frozen values (story, cast, frames, images, passes, board cards);
``store.ProjectStore`` opens one project file; ``textimport`` reads story text.
"""
