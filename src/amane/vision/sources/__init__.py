"""Video sources: file, stream, USB camera, image folder, 360° equirectangular panorama, multi-camera rig."""
