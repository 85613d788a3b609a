"""Pure clinical-genetics domain: variants, classification terms, reports. Standard library only."""
