"""Observation ids the program itself reads or writes, spelled once.

The knowledge files define every observation; these few are also known to the code: the engine counts failed
fixes against the causes they resolve, the interview asks the LED colour before the pattern and turns yes/no
answers about tried fixes into one list, and the executor records the fixes it carried out.
"""

from __future__ import annotations

#: The fixes already tried without success (a tuple of fix ids).
FIXES_TRIED_FAILED = "fixes_tried_failed"
#: The LED pattern, and the colour asked before it.
LED_PATTERN = "led_pattern"
LED_COLOUR = "led_colour"
#: Prefix of the yes/no "did you already try this fix" questions (``tried:<fix id>``).
TRIED_PREFIX = "tried:"
#: The facts the serial console reads after 'i': when the port vanishes half way, these are the ones it lost.
SERIAL_DETAIL_IDS = ("device_os_version", "module_dependencies_ok")
