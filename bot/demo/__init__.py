"""The demo: the bundled snapshot served on loopback (`snapshot`) and the offline run (`run`)."""
