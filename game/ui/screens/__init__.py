"""The screens of the game window (menu, set-up, game, handover, game over, replay, dialogs)."""
