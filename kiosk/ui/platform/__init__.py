"""Where the app meets the machine: Kivy's input settings, the backlight, the health file's hooks."""
