"""The directory kiosks show: video services, e-services, bookings, opening hours, on-duty contacts."""
