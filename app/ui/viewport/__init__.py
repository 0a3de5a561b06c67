"""The 3D viewport: Qt widget (gl_widget, lod_bar) over a Qt-free renderer, camera and GPU helpers."""
