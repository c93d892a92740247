"""What `kiosk provision` needs besides its command: finding the devices, the locker map, the
sensor polarity."""
