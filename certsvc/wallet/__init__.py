"""The holder's wallet: claims, wallet accounts, cards and share links (domain), its pages, the PDF certificate."""
