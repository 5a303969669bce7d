"""The shipped demo clip (CC BY 4.0, see ATTRIBUTION); read through app.demo."""
