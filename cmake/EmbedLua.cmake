# Turns each src/store/lua/NAME.lua (and src/queue/lua/NAME.lua) into
# `const char bode_lua_NAME[]` in one generated C file, so scripts are
# edited as Lua but shipped inside the binary.
# Usage: cmake -DOUT=file.c -DINPUTS="a.lua;b.lua" -P EmbedLua.cmake
string(REPLACE "|" ";" INPUTS "${INPUTS}")
set(body "/* Generated from the Lua sources by cmake/EmbedLua.cmake. */\n")
foreach(path ${INPUTS})
  get_filename_component(name ${path} NAME_WE)
  file(READ ${path} text)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
  string(APPEND body "extern const char bode_lua_${name}[];\n")
  string(APPEND body "const char bode_lua_${name}[] =\n    \"${text}\";\n\n")
endforeach()
file(WRITE ${OUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
