#version 330 core
// The mesh in world space (the asset is already in metres, +Y up), so there is no model matrix.
layout(location = 0) in vec3 a_position;
layout(location = 1) in vec4 a_normal;   // GL_INT_2_10_10_10_REV, normalised: xyz used
layout(location = 2) in vec2 a_uv;
layout(location = 3) in vec4 a_tangent;  // the same packing: MikkTSpace xyz, bitangent sign in w

uniform mat4 u_view_projection;

out vec3 v_normal;
out vec2 v_uv;
out vec4 v_tangent;

void main() {
    v_normal = a_normal.xyz;
    v_uv = a_uv;
    v_tangent = a_tangent;
    gl_Position = u_view_projection * vec4(a_position, 1.0);
}
