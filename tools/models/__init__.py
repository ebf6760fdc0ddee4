"""Network definitions (SD 2.1 UNet/ControlNet/VAE/text encoder, cleaners)."""
