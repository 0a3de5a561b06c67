"""CPU software rendering (numpy only): previews, thumbnails and test renders without OpenGL."""
