"""Revenue deferral, *Periodisering* (SPEC §2.2 rule 33): the fiscal-year setup, recognitions
and the balance still on the deferral accounts (README "Revenue deferral")."""
