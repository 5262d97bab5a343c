"""The ResAnDi network, its preprocessing, Grad-CAM and model folders."""
