<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology">
  <pipe>
    <!-- annual NEP, gC m-2 a-1, diverging -->
    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1" nodataColor="" classificationMin="-400" classificationMax="400">
      <rasterTransparency/>
      <minMaxOrigin><limits>None</limits><extent>WholeRaster</extent><statAccuracy>Estimated</statAccuracy><cumulativeCutLower>0.02</cumulativeCutLower><cumulativeCutUpper>0.98</cumulativeCutUpper><stdDevFactor>2</stdDevFactor></minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0" minimumValue="-400" maximumValue="400" labelPrecision="0">
          <item alpha="255" value="-400" label="-400 source" color="#b2182b"/>
          <item alpha="255" value="-150" label="-150" color="#ef8a62"/>
          <item alpha="255" value="0" label="0" color="#f7f7f7"/>
          <item alpha="255" value="150" label="150" color="#67a9cf"/>
          <item alpha="255" value="400" label="400 sink" color="#2166ac"/>
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
